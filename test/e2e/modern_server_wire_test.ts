/**
 * The modern test server on the wire, spoken to in raw newline-delimited JSON-RPC: the
 * 2026-07-28 shapes the proxy will have to relay (discover, cache hints, MRTR, subscriptions),
 * the tap, and how the SDK's stdio entry pins a connection's era.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { modernServer } from "./clients.ts";
import { isObject, type JsonObject, ROOT, Tap, textOf, toolCalls } from "./helpers.ts";
import {
  listen,
  modernParams,
  modernRequest,
  SERVER_INFO_KEY,
  startRaw,
  SUBSCRIPTION_ID_KEY,
} from "./modern_envelope.ts";

const SERVER_INFO = { name: "intercept-modern-server", version: "1.0.0" };

function resultOf(answer: JsonObject): JsonObject {
  if (!isObject(answer.result)) throw new Error(`Not a result: ${JSON.stringify(answer)}`);
  return answer.result;
}

Deno.test("modern server answers server/discover with its version, listChanged and identity", async () => {
  const raw = startRaw(modernServer());
  try {
    const result = resultOf(await modernRequest(raw, "server/discover"));
    equal(result.resultType, "complete");
    deepEqual(result.supportedVersions, ["2026-07-28"]);
    deepEqual(result.capabilities, { tools: { listChanged: true } });
    deepEqual((result._meta as JsonObject)[SERVER_INFO_KEY], SERVER_INFO);
  } finally {
    await raw.dispose();
  }
});

Deno.test("modern server's tools/list carries resultType and the configured cache hints", async () => {
  const raw = startRaw(modernServer({ listTtlMs: 1234 }));
  try {
    const result = resultOf(await modernRequest(raw, "tools/list"));
    equal(result.resultType, "complete");
    equal(result.ttlMs, 1234);
    equal(result.cacheScope, "public");
    ok((result.tools as JsonObject[]).some((tool) => tool.name === "echo"));
  } finally {
    await raw.dispose();
  }
});

Deno.test("modern server's MRTR tool asks for input and completes on the retry", async (t) => {
  const raw = startRaw(modernServer());
  const call = { name: "confirm-action", arguments: { action: "deploy" } };
  try {
    const first = resultOf(await modernRequest(raw, "tools/call", call));
    await t.step("modern server answers the first call with input_required", () => {
      equal(first.resultType, "input_required");
      const request = (first.inputRequests as JsonObject).confirm as JsonObject;
      equal(request.method, "elicitation/create");
      equal((request.params as JsonObject).message, 'Allow the action "deploy"?');
      equal(typeof first.requestState, "string");
    });

    await t.step("modern server asks again when the retry carries no answer", async () => {
      const again = resultOf(
        await modernRequest(raw, "tools/call", { ...call, requestState: first.requestState }),
      );
      equal(again.resultType, "input_required");
    });

    await t.step(
      "modern server completes the retry with inputResponses and requestState",
      async () => {
        const done = resultOf(
          await modernRequest(raw, "tools/call", {
            ...call,
            inputResponses: { confirm: { action: "accept", content: { confirm: true } } },
            requestState: first.requestState,
          }),
        );
        equal(done.resultType, "complete");
        equal(textOf(done), "Confirmed: deploy");
      },
    );

    await t.step("modern server refuses a requestState minted for another call", async () => {
      const other = resultOf(
        await modernRequest(raw, "tools/call", {
          name: "confirm-action",
          arguments: { action: "drop everything" },
          inputResponses: { confirm: { action: "accept", content: { confirm: true } } },
          requestState: first.requestState,
        }),
      );
      equal(other.isError, true);
      equal(textOf(other), 'requestState does not belong to confirm-action "drop everything"');
    });

    await t.step("modern server refuses a forged requestState with -32602", async () => {
      const forged = await modernRequest(raw, "tools/call", {
        ...call,
        inputResponses: { confirm: { action: "accept", content: { confirm: true } } },
        requestState: "v1.forged.state",
      });
      deepEqual(forged.error, {
        code: -32602,
        message: "Invalid or expired requestState",
        data: { reason: "invalid_request_state" },
      });
    });
  } finally {
    await raw.dispose();
  }
});

Deno.test("modern server sends list_changed only on subscriptions that asked for it", async () => {
  const raw = startRaw(modernServer());
  try {
    const cancelled = await listen(raw, { toolsListChanged: true });
    const open = await listen(raw, { toolsListChanged: true });
    const promptsOnly = await listen(raw, { promptsListChanged: true });
    deepEqual(open.honored, { toolsListChanged: true });
    deepEqual(promptsOnly.honored, {}, "the server has no prompts to honour");
    await cancelled.cancel();
    equal(
      textOf(resultOf(await modernRequest(raw, "tools/call", { name: "toggle-extra" }))),
      "extra is now listed",
    );
    const changed = await raw.waitFor((m) =>
      open.notifications("notifications/tools/list_changed").includes(m as JsonObject)
    );
    deepEqual((changed as JsonObject).params, { _meta: { [SUBSCRIPTION_ID_KEY]: open.id } });
    // Both copies go out in one loop: once the open one arrived, the cancelled one would have.
    deepEqual(cancelled.notifications("notifications/tools/list_changed"), []);
    deepEqual(promptsOnly.notifications("notifications/tools/list_changed"), []);
    const untagged = raw.messages.filter((m) =>
      isObject(m) && m.method === "notifications/tools/list_changed" &&
      !(isObject(m.params) && isObject(m.params._meta) && SUBSCRIPTION_ID_KEY in m.params._meta)
    );
    deepEqual(untagged, [], "no unsolicited list_changed on the modern era");
  } finally {
    await raw.dispose();
  }
});

Deno.test("modern server reports progress of long-running to the request's progressToken", async () => {
  const raw = startRaw(modernServer());
  try {
    const answer = await raw.request(
      "tools/call",
      modernParams({
        name: "long-running",
        arguments: { steps: 2, stepMs: 1 },
        _meta: { progressToken: "p-1" },
      }),
    );
    equal(textOf(resultOf(answer)), "Completed 2 steps");
    const progress = raw.messages.filter((m) =>
      isObject(m) && m.method === "notifications/progress"
    );
    deepEqual(progress.map((m) => (m as JsonObject).params), [
      { progressToken: "p-1", progress: 1, total: 2, message: "step 1" },
      { progressToken: "p-1", progress: 2, total: 2, message: "step 2" },
    ]);
  } finally {
    await raw.dispose();
  }
});

Deno.test("modern server's tap holds every request it received, and only those", async () => {
  const tap = await Tap.create();
  const raw = startRaw(modernServer({ tap: tap.path }));
  try {
    await modernRequest(raw, "tools/call", { name: "echo", arguments: { message: "tapped" } });
    const calls = toolCalls(await tap.messages());
    deepEqual(calls.map((call) => (call.params as JsonObject).arguments), [{ message: "tapped" }]);
    await modernRequest(raw, "tools/list");
    equal(toolCalls(await tap.messages()).length, 1, "a tools/list is not a call");
  } finally {
    await raw.dispose();
    await tap.remove();
  }
});

Deno.test("modern server pins a connection to legacy on a claim-less first request", async () => {
  const raw = startRaw(modernServer());
  try {
    // No initialize: the SDK's stdio entry serves legacy from the first claim-less message.
    const listed = resultOf(await raw.request("tools/list"));
    equal(listed.resultType, undefined);
    const called = resultOf(
      await modernRequest(raw, "tools/call", { name: "echo", arguments: { message: "late" } }),
    );
    equal(textOf(called), "Echo: late");
    equal(called.resultType, undefined, "a modern request on a legacy-pinned connection");
  } finally {
    await raw.dispose();
  }
});

Deno.test("modern server refuses a claim-less request once the connection is modern", async () => {
  const raw = startRaw(modernServer());
  try {
    await modernRequest(raw, "tools/list");
    const answer = await raw.request("tools/list");
    equal((answer.error as JsonObject).code, -32602);
    match((answer.error as JsonObject).message as string, /missing the required _meta envelope/);
  } finally {
    await raw.dispose();
  }
});

Deno.test("modern server answers an unknown protocol version with -32022", async () => {
  const raw = startRaw(modernServer());
  try {
    const answer = await modernRequest(raw, "tools/list", {}, { version: "2099-01-01" });
    deepEqual(answer.error, {
      code: -32022,
      message: "Unsupported protocol version: 2099-01-01",
      data: { supported: ["2026-07-28"], requested: "2099-01-01" },
    });
  } finally {
    await raw.dispose();
  }
});

Deno.test("modern server in modern-only mode refuses a claim-less request with -32022", async () => {
  const raw = startRaw(modernServer({ mode: "modern-only" }));
  try {
    const answer = await raw.request("tools/list");
    equal((answer.error as JsonObject).code, -32022);
    deepEqual(((answer.error as JsonObject).data as JsonObject).supported, ["2026-07-28"]);
  } finally {
    await raw.dispose();
  }
});

Deno.test("modern server rejects a bad flag with exit code 2 and names it", async () => {
  const output = await new Deno.Command("deno", {
    args: ["run", "-A", `${ROOT}test/e2e/fixtures/modern_server.ts`, "--mode=sometimes"],
    stdin: "null",
  }).output();
  equal(output.code, 2);
  match(
    new TextDecoder().decode(output.stderr),
    /--mode must be dual or modern-only, not "sometimes"/,
  );
});
