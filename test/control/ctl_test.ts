/** `intercept ctl` run as a real process against control servers started in this process. */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { type ControlServer, startControlServer } from "../../src/control/control_server.ts";
import { RELOAD_FAILED } from "../../src/control/protocol.ts";
import { PolicyLoadError } from "../../src/policy/loader.ts";
import { interceptCommand, ROOT } from "../e2e/intercept_command.ts";
import { fakeStatus, FakeTarget, tempRoot } from "./support.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `intercept ctl ARGS...` with `runtimeDir` as $XDG_RUNTIME_DIR. */
async function ctl(runtimeDir: string, ...args: string[]): Promise<Run> {
  const env = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([name]) => !name.startsWith("INTERCEPT_")),
  );
  const { command, args: argv } = interceptCommand(["ctl", ...args]);
  const output = await new Deno.Command(command, {
    args: argv,
    cwd: ROOT,
    env: { ...env, XDG_RUNTIME_DIR: runtimeDir },
    clearEnv: true,
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Proxies (fake targets) with control sockets `<pid>.sock` in `<root>/intercept`. */
async function withProxies(
  count: number,
  run: (root: string, proxies: { target: FakeTarget; server: ControlServer }[]) => Promise<void>,
): Promise<void> {
  await using temp = await tempRoot();
  const proxies: { target: FakeTarget; server: ControlServer }[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const target = new FakeTarget();
      target.statusResult = fakeStatus(1001 + i);
      const server = await startControlServer(`${temp.dir}/${1001 + i}.sock`, target);
      proxies.push({ target, server });
    }
    await run(temp.root, proxies);
  } finally {
    await Promise.all(proxies.map(({ server }) => server.close()));
  }
}

Deno.test("intercept ctl status prints the only proxy's status as JSON", async () => {
  await withProxies(1, async (root, [proxy]) => {
    const found = await ctl(root, "status");
    equal(found.code, 0, found.stderr);
    deepEqual(JSON.parse(found.stdout), proxy.target.statusResult);
    const named = await ctl(
      `${root}/elsewhere`,
      "--control",
      proxy.server.path,
      "status",
      "--json",
    );
    equal(named.code, 0, named.stderr);
    equal(JSON.parse(named.stdout).pid, 1001);
  });
});

Deno.test("intercept ctl deny, allow and reset reach the proxy", async () => {
  await withProxies(1, async (root, [{ target }]) => {
    const deny = await ctl(root, "deny", "produce-message", "--reason", "incident 42");
    equal(deny.code, 0, deny.stderr);
    deepEqual(JSON.parse(deny.stdout), { ok: true, tool: "produce-message" });
    equal((await ctl(root, "allow", "produce-message")).code, 0);
    equal((await ctl(root, "reset", "produce-message")).code, 0);
    equal((await ctl(root, "reset")).code, 0);
    deepEqual(target.calls, [
      ["deny", "produce-message", "incident 42"],
      ["allow", "produce-message"],
      ["reset", "produce-message"],
      ["reset", null],
    ]);
  });
});

Deno.test("intercept ctl exits 1 when the proxy refuses: allow of a tool not denied", async () => {
  await withProxies(1, async (root) => {
    const run = await ctl(root, "allow", "produce-message");
    equal(run.code, 1, run.stderr);
    match(run.stderr, /"produce-message" is not live-denied/);
    equal(JSON.parse(run.stdout).error.code, -32002);
  });
});

Deno.test("intercept ctl reload exits 1 on a refused policy and prints every error", async () => {
  await withProxies(1, async (root, [{ target }]) => {
    target.reloadWith = () =>
      Promise.reject(
        new PolicyLoadError([
          { file: "kafka.yaml", line: 5, col: 9, message: 'Unknown key "acton"' },
          { file: "kafka.yaml", line: 7, col: 1, message: "Bad window" },
        ]),
      );
    const run = await ctl(root, "reload");
    equal(run.code, 1, run.stderr);
    match(run.stderr, /^kafka\.yaml:5:9: Unknown key "acton"$/m);
    match(run.stderr, /^kafka\.yaml:7:1: Bad window$/m);
    equal(JSON.parse(run.stdout).error.code, RELOAD_FAILED);
    target.reloadWith = () => Promise.resolve({ ok: true, source: "k.yaml", toolsChanged: true });
    const fixed = await ctl(root, "reload");
    equal(fixed.code, 0, fixed.stderr);
    deepEqual(JSON.parse(fixed.stdout), { ok: true, source: "k.yaml", toolsChanged: true });
  });
});

Deno.test("intercept ctl without a running proxy exits 2 naming the folder", async () => {
  await using temp = await tempRoot();
  const run = await ctl(temp.root, "status");
  equal(run.code, 2);
  match(run.stderr, new RegExp(`no running intercept proxy found in ${temp.dir}`));
  const named = await ctl(temp.root, "--control", `${temp.root}/x.sock`, "status");
  equal(named.code, 2);
  match(named.stderr, /x\.sock: the proxy is not running/);
});

Deno.test("intercept ctl with several proxies and no --all exits 2 listing them", async () => {
  await withProxies(2, async (root, proxies) => {
    const run = await ctl(root, "deny", "x");
    equal(run.code, 2);
    match(
      run.stderr,
      /2 intercept proxies are running; pick one with --control PATH, or use --all/,
    );
    for (const [i, { server }] of proxies.entries()) {
      match(run.stderr, new RegExp(`pid ${1001 + i}\\s+${server.path}`));
    }
    for (const { target } of proxies) deepEqual(target.calls, []);
  });
});

Deno.test("intercept ctl --all runs on every proxy and prints each path's result", async () => {
  await withProxies(2, async (root, proxies) => {
    const run = await ctl(root, "--all", "deny", "produce-message", "--reason", "stop");
    equal(run.code, 0, run.stderr);
    deepEqual(
      JSON.parse(run.stdout),
      proxies.map(({ server }) => ({
        path: server.path,
        result: { ok: true, tool: "produce-message" },
      })),
    );
    for (const { target } of proxies) {
      deepEqual(target.calls, [["deny", "produce-message", "stop"]]);
    }
    proxies[1].target.liveDenies.clear();
    const allow = await ctl(root, "--all", "allow", "produce-message");
    equal(allow.code, 1);
    const [first, second] = JSON.parse(allow.stdout);
    deepEqual(first.result, { ok: true, tool: "produce-message" });
    equal(second.path, proxies[1].server.path);
    equal(second.error.code, -32002);
    match(allow.stderr, new RegExp(`${proxies[1].server.path}: Tool "produce-message" is not`));
  });
});

Deno.test("intercept ctl refuses bad usage with exit 2", async () => {
  await using temp = await tempRoot();
  const cases: [string[], RegExp][] = [
    [[], /Name a command/],
    [["stop"], /Unknown command "stop"/],
    [["deny"], /deny needs a tool name/],
    [["allow", "a", "b"], /Too many arguments for allow/],
    [["status", "--reason", "x"], /--reason applies to deny only/],
    [["--all", "--control", "/x.sock", "status"], /either --control PATH or --all/],
    [["--bogus", "status"], /Unknown flag --bogus/],
  ];
  for (const [args, message] of cases) {
    const run = await ctl(temp.root, ...args);
    equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    match(run.stderr, message);
  }
  const help = await ctl(temp.root, "--help");
  equal(help.code, 0);
  match(help.stdout, /Usage: intercept ctl/);
  ok(help.stdout.includes(`${temp.dir}`), "help names the control folder");
});
