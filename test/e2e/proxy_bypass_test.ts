/**
 * Attempts to get a tools/call past the proxy undecided, over raw stdio. The real
 * server-everything runs behind a tap on its stdin, so each test can show what reached it.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  DENIAL_PREFIX,
  EVERYTHING,
  isObject,
  type JsonObject,
  policyPath,
  RawProxy,
  Tap,
  textOf,
  toolCalls,
} from "./helpers.ts";

const SECRET_REASON = `${DENIAL_PREFIX}Echoing secrets is not allowed`;

function call(id: unknown, name: unknown, args: unknown): JsonObject {
  return { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } };
}

function assertDenied(answer: JsonObject, reason: string): void {
  ok(isObject(answer.result), JSON.stringify(answer));
  equal(answer.result.isError, true);
  equal(textOf(answer.result), reason);
}

function assertError(answer: JsonObject, code: number): void {
  ok(isObject(answer.error), JSON.stringify(answer));
  equal(answer.error.code, code, JSON.stringify(answer));
}

Deno.test("intercept proxy refuses bypass attempts over raw stdio", async (t) => {
  const tap = await Tap.create();
  const proxy = RawProxy.start(policyPath("bypass.yaml"), tap.wrap(EVERYTHING), [
    "--max-message-bytes",
    "4096",
  ]);
  /** The arguments of the only calls the upstream may ever see, in order. */
  const allowedCalls: unknown[] = [];
  let barriers = 0;

  /** Everything the upstream received, once a ping sent now has made it there and back. */
  async function upstreamSaw(): Promise<unknown[]> {
    // The upstream knows each request by the proxy's own id: the barrier names itself in _meta.
    const id = `barrier-${++barriers}`;
    await proxy.send({ jsonrpc: "2.0", id, method: "ping", params: { _meta: { barrier: id } } });
    const answer = await proxy.answerTo(id);
    ok(isObject(answer.result), `the connection still works: ${JSON.stringify(answer)}`);
    return tap.waitFor((m) => mentions([m], `"barrier":"${id}"`));
  }

  function mentions(messages: readonly unknown[], marker: string): boolean {
    return messages.some((m) => JSON.stringify(m).includes(marker));
  }

  try {
    await proxy.initialize();

    await t.step("intercept proxy denies a denied call inside a JSON-RPC batch", async () => {
      const since = proxy.messages.length;
      await proxy.send([
        call("batch-ok", "echo", { message: "batch public" }),
        call("batch-denied", "echo", { message: "batch secret" }),
        { jsonrpc: "2.0", id: "batch-ping", method: "ping" },
      ]);
      allowedCalls.push({ message: "batch public" });
      const answers = await proxy.waitFor(Array.isArray, { since, what: "the batch's answer" });
      ok(Array.isArray(answers));
      const byId = new Map(answers.map((a) => [(a as JsonObject).id, a as JsonObject]));
      deepEqual([...byId.keys()].sort(), ["batch-denied", "batch-ok", "batch-ping"]);
      equal(textOf(byId.get("batch-ok")!.result as JsonObject), "Echo: batch public");
      assertDenied(byId.get("batch-denied")!, SECRET_REASON);
      const seen = await upstreamSaw();
      ok(mentions(seen, "batch public"));
      ok(!mentions(seen, "batch secret"), "the denied call never reached the upstream");
      ok(!mentions(proxy.messages, "Echo: batch secret"), "and never ran there");
    });

    await t.step("intercept proxy rejects a tools/call whose name is not a string", async () => {
      await proxy.send(call("bad-name", 42, { message: "bad name" }));
      assertError(await proxy.answerTo("bad-name"), -32602);
      await proxy.send(call("no-name", undefined, { message: "no name" }));
      assertError(await proxy.answerTo("no-name"), -32602);
      const seen = await upstreamSaw();
      ok(!mentions(seen, "bad-name") && !mentions(seen, "no-name"));
    });

    await t.step(
      "intercept proxy rejects a tools/call whose arguments are not an object",
      async () => {
        await proxy.send(call("args-array", "echo", ["secret"]));
        assertError(await proxy.answerTo("args-array"), -32602);
        await proxy.send(call("args-string", "echo", "args string"));
        assertError(await proxy.answerTo("args-string"), -32602);
        const seen = await upstreamSaw();
        ok(!mentions(seen, "args-array") && !mentions(seen, "args-string"));
      },
    );

    await t.step("intercept proxy answers invalid JSON with -32700 and keeps going", async () => {
      const since = proxy.messages.length;
      await proxy.send('{"jsonrpc":"2.0","id":"broken","method":"tools/call","params":{');
      const answer = await proxy.waitFor((m) => isObject(m) && isObject(m.error), {
        since,
        what: "a parse error",
      }) as JsonObject;
      assertError(answer, -32700);
      equal(answer.id, null);
      await upstreamSaw();
    });

    await t.step("intercept proxy refuses a message over the size limit by its id", async () => {
      const big = call("too-big", "echo", { message: "big ".repeat(2_560) });
      ok(JSON.stringify(big).length > 10_000);
      await proxy.send(big);
      assertError(await proxy.answerTo("too-big"), -32600);
      await proxy.send(call("after-big", "echo", { message: "small again" }));
      allowedCalls.push({ message: "small again" });
      const answer = await proxy.answerTo("after-big");
      equal(textOf(answer.result as JsonObject), "Echo: small again");
      ok(!mentions(await upstreamSaw(), "too-big"));
    });

    await t.step("intercept proxy denies a call for a hidden tool", async () => {
      await proxy.send(call("hidden", "get-env", {}));
      const answer = await proxy.answerTo("hidden");
      ok(isObject(answer.result));
      equal(answer.result.isError, true);
      ok(textOf(answer.result).startsWith(DENIAL_PREFIX));
      ok(!mentions(await upstreamSaw(), "get-env"));
    });

    await t.step(
      "intercept proxy does not execute a tools/call sent as a notification",
      async () => {
        const since = proxy.messages.length;
        await proxy.send({
          jsonrpc: "2.0",
          method: "tools/call",
          params: { name: "echo", arguments: { message: "notification call" } },
        });
        ok(!mentions(await upstreamSaw(), "notification call"));
        ok(!mentions(proxy.messages.slice(since), "notification call"));
      },
    );

    await t.step(
      "intercept proxy denies a call with an id that is not a string or number",
      async () => {
        const since = proxy.messages.length;
        await proxy.send(call(null, "echo", { message: "null id" }));
        await proxy.send(call({ odd: 1 }, "echo", { message: "object id" }));
        const seen = await upstreamSaw();
        ok(!mentions(seen, "null id") && !mentions(seen, "object id"));
        const errors = proxy.messages.slice(since).filter((m) => isObject(m) && isObject(m.error));
        equal(errors.length, 2, JSON.stringify(errors));
        for (const error of errors) assertError(error as JsonObject, -32600);
      },
    );

    await t.step(
      "intercept proxy treats duplicate method keys as the call they parse to",
      async () => {
        await proxy.send(
          '{"jsonrpc":"2.0","id":"dup","method":"tools/list","method":"tools/call",' +
            '"params":{"name":"echo","arguments":{"message":"dup secret"}}}',
        );
        const answer = await proxy.answerTo("dup");
        ok(isObject(answer.result) && !("tools" in answer.result), JSON.stringify(answer));
        assertDenied(answer, SECRET_REASON);

        // The other order parses to a ping: it is forwarded re-serialised, with one method.
        await proxy.send('{"jsonrpc":"2.0","id":"dup-ping","method":"tools/call","method":"ping"}');
        const pong = await proxy.answerTo("dup-ping");
        deepEqual(pong.result, {}, JSON.stringify(pong));
        await upstreamSaw();
        const lines = (await tap.lines()).filter((line) => !line.includes("barrier"));
        const last = lines[lines.length - 1];
        const { id: _, ...forwarded } = JSON.parse(last);
        deepEqual(forwarded, { jsonrpc: "2.0", method: "ping" });
        equal(last.split('"method"').length, 2, `one method key: ${last}`);
      },
    );

    await t.step("intercept proxy lets only the allowed calls reach the upstream", async () => {
      await proxy.closeStdin();
      const status = await proxy.exited();
      equal(status?.code, 0, proxy.stderr);
      const calls = toolCalls(await tap.messages()).map((m) => (m.params as JsonObject).arguments);
      deepEqual(calls, allowedCalls);
      ok(!mentions(proxy.messages, "Echo: batch secret") && !mentions(proxy.messages, "Echo: dup"));
    });
  } finally {
    await proxy.dispose();
    await tap.remove();
  }
});
