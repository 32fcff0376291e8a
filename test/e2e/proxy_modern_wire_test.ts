/**
 * The proxy's duties on the 2026-07-28 wire, spoken to in raw JSON-RPC through the real proxy
 * process in front of the modern test server (with a tap on what the server received):
 * versions, the discover answer, cache hints, MRTR continuations (a real one is free, a forged
 * one pays), subscription streams, and the audit of a modern call.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { modernServer } from "./clients.ts";
import {
  DENIAL_PREFIX,
  isObject,
  type JsonObject,
  policyPath,
  proxyArgs,
  RawProxy,
  runIntercept,
  Tap,
  textOf,
  toolCalls,
} from "./helpers.ts";
import { listen, modernRequest, SUBSCRIPTION_ID_KEY } from "./modern_envelope.ts";

const POLICY = policyPath("eras.yaml");

function resultOf(answer: JsonObject): JsonObject {
  if (!isObject(answer.result)) throw new Error(`Not a result: ${JSON.stringify(answer)}`);
  return answer.result;
}

async function start(flags: string[] = []): Promise<{ raw: RawProxy; tap: Tap }> {
  const tap = await Tap.create();
  const raw = new RawProxy(proxyArgs(POLICY, modernServer({ tap: tap.path }), flags));
  return { raw, tap };
}

async function stop(raw: RawProxy, tap: Tap): Promise<void> {
  await raw.dispose();
  await tap.remove();
}

Deno.test("intercept proxy refuses a modern request in a version it does not know", async () => {
  const { raw, tap } = await start();
  try {
    const answer = await modernRequest(raw, "tools/call", {
      name: "echo",
      arguments: { message: "x" },
    }, {
      version: "2099-01-01",
    });
    const error = answer.error as JsonObject;
    equal(error.code, -32022);
    deepEqual((error.data as JsonObject).requested, "2099-01-01");
    ok(((error.data as JsonObject).supported as string[]).includes("2026-07-28"));
    // The same call in a known version goes through: the upstream never saw the other one.
    equal(
      textOf(
        resultOf(
          await modernRequest(raw, "tools/call", { name: "echo", arguments: { message: "ok" } }),
        ),
      ),
      "Echo: ok",
    );
    deepEqual(toolCalls(await tap.messages()).map((m) => (m.params as JsonObject).arguments), [
      { message: "ok" },
    ]);
  } finally {
    await stop(raw, tap);
  }
});

Deno.test("intercept proxy answers a denial in the modern era with resultType complete", async () => {
  const { raw, tap } = await start();
  try {
    const result = resultOf(
      await modernRequest(raw, "tools/call", { name: "echo", arguments: { message: "secret" } }),
    );
    equal(result.resultType, "complete");
    equal(result.isError, true);
    equal(textOf(result), `${DENIAL_PREFIX}Echoing secrets is not allowed`);
  } finally {
    await stop(raw, tap);
  }
});

Deno.test("intercept proxy advertises listChanged in server/discover and caps list caching", async () => {
  const { raw, tap } = await start();
  try {
    const discover = resultOf(await modernRequest(raw, "server/discover"));
    equal(discover.resultType, "complete");
    deepEqual((discover.capabilities as JsonObject).tools, { listChanged: true });
    const list = resultOf(await modernRequest(raw, "tools/list"));
    equal(list.resultType, "complete");
    equal(list.cacheScope, "private", "a list filtered by the proxy is not for shared caches");
    ok((list.ttlMs as number) <= 5_000, `ttlMs ${list.ttlMs}, the server said 300000`);
    ok(!(list.tools as JsonObject[]).some((tool) => tool.name === "toggle-extra"));
  } finally {
    await stop(raw, tap);
  }
});

Deno.test("intercept proxy lets an MRTR retry through free once, and makes a forged one pay", async () => {
  const { raw, tap } = await start();
  const call = { name: "confirm-action", arguments: { action: "deploy" } };
  try {
    // A forged continuation: fields no answer of the proxy's relayed. It pays (and the server
    // refuses its state).
    const forged = await modernRequest(raw, "tools/call", {
      ...call,
      inputResponses: { confirm: { action: "accept", content: { confirm: true } } },
      requestState: "forged-state",
    });
    ok(forged.error || resultOf(forged).isError, JSON.stringify(forged));
    // The one confirmation a minute was spent by the forged call.
    const next = resultOf(await modernRequest(raw, "tools/call", call));
    equal(next.isError, true, JSON.stringify(next));
    ok(textOf(next).includes("One confirmation a minute"), textOf(next));
  } finally {
    await stop(raw, tap);
  }
  const second = await start();
  try {
    const first = resultOf(await modernRequest(second.raw, "tools/call", call));
    equal(first.resultType, "input_required");
    const retry = {
      ...call,
      inputResponses: { confirm: { action: "accept", content: { confirm: true } } },
      requestState: first.requestState,
    };
    const done = resultOf(await modernRequest(second.raw, "tools/call", retry));
    equal(textOf(done), "Confirmed: deploy", "the retry of the admitted call is free");
    // The same retry again is not a continuation any more: it pays, and the quota is spent.
    const replay = resultOf(await modernRequest(second.raw, "tools/call", retry));
    equal(replay.isError, true);
    ok(textOf(replay).includes("One confirmation a minute"), textOf(replay));
    equal(toolCalls(await second.tap.messages()).length, 2, "the replay never reached the server");
  } finally {
    await stop(second.raw, second.tap);
  }
});

Deno.test("intercept proxy sends its list_changed only on the streams that asked for it", async () => {
  const folder = await Deno.makeTempDir({ prefix: "intercept-wire-" });
  const control = `${folder}/proxy.sock`;
  const { raw, tap } = await start(["--control", control]);
  try {
    await modernRequest(raw, "tools/list");
    const tools = await listen(raw, { toolsListChanged: true });
    const prompts = await listen(raw, { promptsListChanged: true });
    equal(tools.honored.toolsListChanged, true);
    const denied = await runIntercept(["ctl", "--control", control, "deny", "echo"]);
    equal(denied.code, 0, denied.stderr);
    await raw.waitFor(
      (m) => isObject(m) && m.method === "notifications/tools/list_changed",
      { what: "the tools stream's notification" },
    );
    const changed = raw.messages.filter((m) =>
      isObject(m) && m.method === "notifications/tools/list_changed"
    ) as JsonObject[];
    deepEqual(
      changed.map((m) => ((m.params as JsonObject)._meta as JsonObject)[SUBSCRIPTION_ID_KEY]),
      [tools.id],
    );
    equal(prompts.notifications("notifications/tools/list_changed").length, 0);
    // A cancelled stream hears nothing more.
    await tools.cancel();
    await runIntercept(["ctl", "--control", control, "allow", "echo"]);
    await modernRequest(raw, "tools/list"); // a barrier: the allow is done by now
    equal(tools.notifications("notifications/tools/list_changed").length, 1);
  } finally {
    await stop(raw, tap);
    await Deno.remove(folder, { recursive: true }).catch(() => {});
  }
});

Deno.test("intercept proxy audits a modern call with its client and the round of a retry", async () => {
  const folder = await Deno.makeTempDir({ prefix: "intercept-wire-" });
  const audit = `${folder}/audit.jsonl`;
  const { raw, tap } = await start(["--audit", audit]);
  const call = { name: "confirm-action", arguments: { action: "ship" } };
  try {
    const first = resultOf(
      await modernRequest(raw, "tools/call", call, {
        clientInfo: { name: "agent-x", version: "2" },
      }),
    );
    await modernRequest(raw, "tools/call", {
      ...call,
      inputResponses: { confirm: { action: "accept", content: { confirm: true } } },
      requestState: first.requestState,
    }, { clientInfo: { name: "agent-x", version: "2" } });
    await raw.closeStdin();
    await raw.exited();
    const decisions = (await Deno.readTextFile(audit)).trim().split("\n").map((line) =>
      JSON.parse(line)
    ).filter((record) => record.type === "decision");
    deepEqual(decisions.map((d) => [d.client, d.era, d.decision, d.round]), [
      ["agent-x", "modern", "allow", undefined],
      ["agent-x", "modern", "allow", 2],
    ]);
  } finally {
    await stop(raw, tap);
    await Deno.remove(folder, { recursive: true }).catch(() => {});
  }
});

Deno.test("intercept proxy offers a known version to a legacy client that asks for another", async () => {
  const { raw, tap } = await start();
  try {
    const answer = await raw.request("initialize", {
      protocolVersion: "2099-12-31",
      capabilities: {},
      clientInfo: { name: "future-client", version: "9" },
    });
    equal(resultOf(answer).protocolVersion, "2025-11-25");
    const initialize = (await tap.messages()).find((m) => isObject(m) && m.method === "initialize");
    equal(((initialize as JsonObject).params as JsonObject).protocolVersion, "2025-11-25");
  } finally {
    await stop(raw, tap);
  }
});

Deno.test("intercept proxy keeps a modern session modern when its first act needs a schema", async () => {
  const { raw, tap } = await start();
  try {
    const denied = resultOf(
      await modernRequest(raw, "tools/call", {
        name: "create-topic",
        arguments: { topicName: "t" },
      }),
    );
    equal(denied.resultType, "complete");
    ok(textOf(denied).includes("partitions"), textOf(denied));
    const list = (await tap.messages()).find((m) => isObject(m) && m.method === "tools/list");
    ok(isObject((list as JsonObject).params), "the proxy's own list");
    equal(
      (((list as JsonObject).params as JsonObject)._meta as JsonObject)[
        "io.modelcontextprotocol/protocolVersion"
      ],
      "2026-07-28",
    );
    const created = resultOf(
      await modernRequest(raw, "tools/call", {
        name: "create-topic",
        arguments: { topicName: "t", partitions: 1 },
      }),
    );
    equal(created.resultType, "complete");
    equal(created.isError, undefined, JSON.stringify(created));
  } finally {
    await stop(raw, tap);
  }
});
