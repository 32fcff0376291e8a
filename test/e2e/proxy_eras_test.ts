/**
 * One policy, both protocol eras: every client kind (v1 SDK, v2 pinned to 2026-07-28, v2 in
 * automatic negotiation, v2 on the legacy handshake) through the real proxy process, in front of
 * the modern test server (dual-era and modern-only) and of server-everything (legacy). Each
 * agent lists, calls, reads its denials, hits a rate limit, sees a live deny announced and
 * enforced, and, on the modern server, runs MRTR rounds that cost one unit per logical call.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { type ClientKind, connectAs, modernServer, type TestClient } from "./clients.ts";
import {
  decisionOf,
  DENIAL_PREFIX,
  EVERYTHING,
  type JsonObject,
  policyPath,
  proxyArgs,
  runIntercept,
  textOf,
} from "./helpers.ts";
import { interceptArgv } from "./intercept_command.ts";

const POLICY = policyPath("eras.yaml");

interface Upstream {
  name: string;
  command: string[];
  /** Tools the policy hides, which the server lists. */
  hidden: string[];
  /** A tool under a rate limit of one, with arguments that pass. */
  paced: [string, JsonObject];
  /** The server's MRTR tools (elicitation, sampling) under a limit of one, if it has them. */
  mrtr: boolean;
}

const MODERN: Upstream = {
  name: "the modern server",
  command: modernServer(),
  hidden: ["toggle-extra", "long-running"],
  paced: ["add", { a: 1, b: 2 }],
  mrtr: true,
};
const MODERN_ONLY: Upstream = {
  ...MODERN,
  name: "the modern-only server",
  command: modernServer({ mode: "modern-only" }),
};
const EVERYTHING_SERVER: Upstream = {
  name: "server-everything",
  command: EVERYTHING,
  hidden: [],
  paced: ["get-sum", { a: 1, b: 2 }],
  mrtr: false,
};

/** Which client kinds each upstream can serve (a legacy client cannot speak to a modern-only one). */
const MATRIX: [Upstream, ClientKind[]][] = [
  [MODERN, ["v1", "v2-modern", "v2-auto", "v2-legacy"]],
  [MODERN_ONLY, ["v2-modern", "v2-auto"]],
  [EVERYTHING_SERVER, ["v1", "v2-auto", "v2-legacy"]],
];

function assertDenial(result: JsonObject, rule: string): string {
  equal(result.isError, true, JSON.stringify(result));
  const text = textOf(result);
  ok(text.startsWith(DENIAL_PREFIX), text);
  equal(decisionOf(result).rule, rule);
  return text;
}

async function controlPath(): Promise<string> {
  const folder = await Deno.makeTempDir({ prefix: "intercept-eras-" });
  await Deno.chmod(folder, 0o700);
  return `${folder}/proxy.sock`;
}

function connect(kind: ClientKind, upstream: Upstream, flags: string[] = []): Promise<TestClient> {
  return connectAs(kind, interceptArgv(proxyArgs(POLICY, upstream.command, flags)));
}

for (const [upstream, kinds] of MATRIX) {
  for (const kind of kinds) {
    Deno.test(`intercept proxy serves the ${kind} client in front of ${upstream.name}`, async (t) => {
      const control = await controlPath();
      const client = await connect(kind, upstream, ["--control", control]);
      try {
        await t.step("lists the tools, hidden ones left out", async () => {
          const names = (await client.listTools()).map((tool) => tool.name);
          ok(names.includes("echo"), names.join(", "));
          for (const hidden of upstream.hidden) ok(!names.includes(hidden), hidden);
        });

        await t.step("runs an allowed call and denies a secret, readably", async () => {
          const allowed = await client.callTool("echo", { message: "hello" });
          equal(allowed.isError, undefined, JSON.stringify(allowed));
          ok(textOf(allowed).includes("hello"), textOf(allowed));
          const denied = await client.callTool("echo", { message: "a secret" });
          equal(
            assertDenial(denied, "no secrets"),
            `${DENIAL_PREFIX}Echoing secrets is not allowed`,
          );
        });

        await t.step("denies a call past its rate limit, with the retry time", async () => {
          const [tool, args] = upstream.paced;
          const first = await client.callTool(tool, args);
          equal(first.isError, undefined, JSON.stringify(first));
          const second = await client.callTool(tool, args);
          ok(assertDenial(second, decisionOf(second).rule as string).includes("(retry in 1m)"));
          ok((decisionOf(second).retryAfterMs as number) > 0);
        });

        if (upstream.mrtr) {
          await t.step("charges an elicitation round trip one unit of its quota", async () => {
            const confirmed = await client.callTool("confirm-action", { action: "deploy" });
            equal(textOf(confirmed), "Confirmed: deploy");
            equal(client.asked.elicitation.length, 1, "the user was asked once");
            const again = await client.callTool("confirm-action", { action: "again" });
            assertDenial(again, "one confirmation a minute");
            equal(client.asked.elicitation.length, 1, "a denied call asks nobody");
          });

          await t.step("charges a sampling round trip one unit of its quota", async () => {
            const summary = await client.callTool("summarize", { text: "a long text" });
            equal(textOf(summary), "Summary: a short summary");
            equal(client.asked.sampling.length, 1);
            assertDenial(await client.callTool("summarize", { text: "b" }), "one summary a minute");
          });
        }

        await t.step("announces a live deny, then enforces it", async () => {
          const changes = await client.watchToolChanges();
          const denied = await runIntercept(["ctl", "--control", control, "deny", "echo"]);
          equal(denied.code, 0, denied.stderr);
          await changes.waitFor(1);
          const names = (await client.listTools()).map((tool) => tool.name);
          ok(!names.includes("echo"), names.join(", "));
          assertDenial(await client.callTool("echo", { message: "hi" }), "operator deny");
          await changes.close();
        });
      } finally {
        await client.close();
        await Deno.remove(control.slice(0, control.lastIndexOf("/")), { recursive: true })
          .catch(() => {});
      }
    });
  }
}

for (const kind of ["v1", "v2-modern", "v2-auto", "v2-legacy"] as ClientKind[]) {
  Deno.test(`intercept proxy checks arguments as the ${kind} client's first action`, async () => {
    // The proxy's own tools/list goes up in the client's era, so the server stays in that era.
    const client = await connect(kind, MODERN);
    try {
      const missing = await client.callTool("create-topic", { topicName: "orders" });
      ok(assertDenial(missing, "topics are checked").includes("partitions"), textOf(missing));
      const created = await client.callTool("create-topic", { topicName: "orders", partitions: 3 });
      equal(created.isError, undefined, JSON.stringify(created));
      deepEqual((await client.callTool("echo", { message: "still here" })).isError, undefined);
    } finally {
      await client.close();
    }
  });
}
