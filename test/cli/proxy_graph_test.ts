/**
 * The proxy's start-up graph: what `intercept -c POLICY -- CMD` loads before it reads the first
 * message. npm packages (the YAML parser, zod, the Redis client, the regex compiler,
 * OpenTelemetry) are for commands, the policy worker and options that need them, loaded when
 * needed: statically imported, each costs every proxy its start-up time and memory.
 */
import { deepEqual, ok } from "node:assert/strict";

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
}

/** Every module `entry` imports statically, transitively, per `deno info`. */
async function staticGraph(entry: string): Promise<Set<string>> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    stdout: "piped",
    stderr: "piped",
  }).output();
  ok(output.success, new TextDecoder().decode(output.stderr));
  const info = JSON.parse(new TextDecoder().decode(output.stdout));
  const modules = new Map<string, InfoModule>(
    (info.modules as InfoModule[]).map((module) => [module.specifier, module]),
  );
  const redirects: Record<string, string> = info.redirects ?? {};
  const seen = new Set<string>(info.roots);
  const queue: string[] = [...info.roots];
  while (queue.length > 0) {
    const module = modules.get(queue.pop()!);
    for (const dependency of module?.dependencies ?? []) {
      const target = dependency.code?.specifier;
      if (!target || dependency.isDynamic || seen.has(target)) continue;
      seen.add(target);
      queue.push(redirects[target] ?? target);
    }
  }
  return seen;
}

const npmOf = (graph: Set<string>) => [...graph].filter((name) => name.startsWith("npm:")).sort();

Deno.test("intercept's proxy start-up graph holds no npm package", async () => {
  const root = new URL("../../src/", import.meta.url);
  for (const entry of ["main.ts", "commands/run_proxy.ts"]) {
    const graph = await staticGraph(new URL(entry, root).href);
    ok(graph.size > 5, `${entry}: ${graph.size} modules`);
    deepEqual(npmOf(graph), [], `${entry} loads npm packages at start`);
  }
});

Deno.test("intercept's proxy session loads no YAML parser, no zod, no Redis client, no OpenTelemetry", async () => {
  const graph = await staticGraph(
    new URL("../../src/commands/proxy_session.ts", import.meta.url).href,
  );
  const packages = npmOf(graph).map((name) => name.replace(/@[^@]*$/, ""));
  for (const heavy of ["npm:yaml", "npm:zod", "npm:ioredis", "npm:@opentelemetry/api"]) {
    ok(!packages.includes(heavy), `${heavy} in ${packages.join(", ")}`);
  }
});

Deno.test("staticGraph() sees an npm package a module imports statically", async () => {
  const graph = await staticGraph(
    new URL("../../src/transports/auth_tokens_file.ts", import.meta.url).href,
  );
  deepEqual(npmOf(graph).map((name) => name.replace(/@[^@]*$/, "")), ["npm:yaml"]);
});
