/**
 * What the v2 SDK client (`@modelcontextprotocol/client` 2.4.0) sends and accepts on stdio,
 * observed through `fixtures/wire_tee.ts`: the facts the proxy must honour for modern clients
 * (a separate probe process, the retry shape of MRTR, results it rejects).
 */
import { equal, match, notEqual, ok, rejects } from "node:assert/strict";
import { connectAs, modernServer } from "./clients.ts";
import { EVERYTHING, isObject, type JsonObject, ROOT, textOf } from "./helpers.ts";
import { PROTOCOL_VERSION_KEY } from "./modern_envelope.ts";

const TEE = `${ROOT}test/e2e/fixtures/wire_tee.ts`;

interface TeeEntry {
  pid: number;
  dir: "c>s" | "s>c";
  msg: JsonObject;
  changed?: boolean;
}

/** A tee in front of `server`, logging to a temporary file. */
async function teed(server: readonly string[], flags: string[] = []) {
  const log = await Deno.makeTempFile({ prefix: "intercept-tee-", suffix: ".jsonl" });
  return {
    command: ["deno", "run", "-A", TEE, "--log", log, ...flags, "--", ...server],
    async entries(): Promise<TeeEntry[]> {
      const text = await Deno.readTextFile(log);
      return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
    },
    remove: () => Deno.remove(log).catch(() => {}),
  };
}

function sent(entries: TeeEntry[], pid?: number): JsonObject[] {
  return entries.filter((e) => e.dir === "c>s" && (pid === undefined || e.pid === pid))
    .map((e) => e.msg);
}

Deno.test("v2 client pinned to 2026-07-28 probes on a process of its own", async () => {
  const tee = await teed(modernServer());
  const client = await connectAs("v2-modern", tee.command);
  try {
    await client.callTool("echo", { message: "hello" });
    const entries = await tee.entries();
    const pids = [...new Set(entries.map((e) => e.pid))];
    equal(pids.length, 2, "one process for the probe, one for the session");
    const [probe, session] = pids;
    const probeSent = sent(entries, probe);
    equal(probeSent.length, 1);
    equal(probeSent[0].method, "server/discover");
    equal(probeSent[0].id, "server-discover-probe-1");
    const [first] = sent(entries, session);
    equal(first.method, "tools/call", "the session starts without discover or initialize");
    equal(first.id, 0, "the session's ids start at 0");
    equal(((first.params as JsonObject)._meta as JsonObject)[PROTOCOL_VERSION_KEY], "2026-07-28");
  } finally {
    await client.close();
    await tee.remove();
  }
});

Deno.test("v2 client retries an MRTR call on a new id with the same arguments and the answers", async () => {
  const tee = await teed(modernServer());
  const client = await connectAs("v2-modern", tee.command);
  try {
    equal(
      textOf(await client.callTool("confirm-action", { action: "deploy" })),
      "Confirmed: deploy",
    );
    const calls = sent(await tee.entries()).filter((m) => m.method === "tools/call");
    equal(calls.length, 2);
    const [first, retry] = calls.map((m) => m.params as JsonObject);
    notEqual(calls[0].id, calls[1].id);
    equal(retry.name, first.name);
    equal(JSON.stringify(retry.arguments), JSON.stringify(first.arguments));
    equal(first.inputResponses, undefined);
    equal(
      JSON.stringify(retry.inputResponses),
      '{"confirm":{"action":"accept","content":{"confirm":true}}}',
    );
    const answer = (await tee.entries()).find((e) => e.dir === "s>c" && e.msg.id === calls[0].id);
    equal(
      retry.requestState,
      (answer?.msg.result as JsonObject).requestState,
      "echoed byte for byte",
    );
  } finally {
    await client.close();
    await tee.remove();
  }
});

Deno.test("v2 client on 2026-07-28 rejects a tools/call result without resultType", async () => {
  const tee = await teed(modernServer(), ["--strip", "tools/call:resultType"]);
  const client = await connectAs("v2-modern", tee.command);
  try {
    await rejects(client.callTool("echo", { message: "hello" }), /missing required resultType/);
  } finally {
    await client.close();
    await tee.remove();
  }
});

Deno.test("v2 client on 2026-07-28 rejects a tools/list result without ttlMs and cacheScope", async () => {
  const tee = await teed(modernServer(), [
    "--strip",
    "tools/list:ttlMs",
    "--strip",
    "tools/list:cacheScope",
  ]);
  const client = await connectAs("v2-modern", tee.command);
  try {
    await rejects(client.listTools(), (error: Error) => {
      match(error.message, /Invalid result for tools\/list/);
      match(error.message, /ttlMs/);
      match(error.message, /cacheScope/);
      return true;
    });
  } finally {
    await client.close();
    await tee.remove();
  }
});

Deno.test("v2 client on 2026-07-28 surfaces a -32022 on tools/call without retrying", async () => {
  const tee = await teed(modernServer(), ["--refuse-version", "tools/call"]);
  const client = await connectAs("v2-modern", tee.command);
  try {
    await rejects(client.callTool("echo", { message: "hello" }), (error: Error) => {
      equal((error as Error & { code?: number }).code, -32022);
      return true;
    });
    equal(sent(await tee.entries()).filter((m) => m.method === "tools/call").length, 1);
  } finally {
    await client.close();
    await tee.remove();
  }
});

Deno.test("v2 client in auto mode falls back to initialize when the probe is refused", async () => {
  const tee = await teed(EVERYTHING);
  const client = await connectAs("v2-auto", tee.command);
  try {
    equal(client.era, "legacy");
    const entries = await tee.entries();
    const probeAnswer = entries.find((e) =>
      e.dir === "s>c" && e.msg.id === "server-discover-probe-1"
    );
    ok(isObject(probeAnswer?.msg.error), "server-everything refuses server/discover");
    const sessionPid = entries.find((e) => e.msg.method === "initialize")?.pid;
    notEqual(sessionPid, probeAnswer?.pid);
    equal(sent(entries, sessionPid)[0].method, "initialize");
  } finally {
    await client.close();
    await tee.remove();
  }
});
