/** The proxy in front of the real server-everything, driven by the MCP SDK's own client. */
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  connectClient,
  decisionOf,
  DENIAL_PREFIX,
  EVERYTHING,
  isObject,
  type JsonObject,
  policyPath,
  Tap,
  textOf,
  toolCalls,
} from "./helpers.ts";

Deno.test("intercept proxy applies a policy to the SDK client's calls", async (t) => {
  const client = await connectClient(policyPath("sdk.yaml"), EVERYTHING);
  try {
    await t.step("intercept proxy returns the server's real echo result", async () => {
      const result = await client.callTool({ name: "echo", arguments: { message: "hello e2e" } });
      equal(result.isError, undefined);
      equal(textOf(result), "Echo: hello e2e");
    });

    await t.step("intercept proxy denies a denied tool with the policy's reason", async () => {
      const result = await client.callTool({
        name: "trigger-long-running-operation",
        arguments: { duration: 1, steps: 1 },
      });
      equal(result.isError, true);
      equal(textOf(result), `${DENIAL_PREFIX}Long operations need a human`);
      deepEqual(decisionOf(result), {
        rule: "trigger-long-running-operation#1",
        reason: "Long operations need a human",
        retryAfterMs: null,
      });
    });

    await t.step(
      "intercept proxy gives 3 real results for a quota of 3, then denials",
      async () => {
        for (let a = 1; a <= 3; a++) {
          const result = await client.callTool({ name: "get-sum", arguments: { a, b: 10 } });
          equal(result.isError, undefined);
          equal(textOf(result), `The sum of ${a} and 10 is ${a + 10}.`);
        }
        for (let a = 4; a <= 5; a++) {
          const result = await client.callTool({ name: "get-sum", arguments: { a, b: 10 } });
          equal(result.isError, true);
          const text = textOf(result);
          ok(text.startsWith(`${DENIAL_PREFIX}Sums are limited to 3 a minute`), text);
          ok(text.includes("retry in"), text);
          const decision = decisionOf(result);
          equal(decision.rule, "sums are paced");
          ok(typeof decision.retryAfterMs === "number" && decision.retryAfterMs > 0);
          ok(decision.retryAfterMs <= 60_000);
        }
      },
    );

    await t.step("intercept proxy hides hidden tools from tools/list and denies them", async () => {
      const names = (await client.listTools()).tools.map((tool: { name: string }) => tool.name);
      ok(!names.includes("get-env"), names.join(", "));
      ok(names.includes("echo") && names.includes("get-sum"), names.join(", "));
      const result = await client.callTool({ name: "get-env", arguments: {} });
      equal(result.isError, true);
      ok(textOf(result).startsWith(DENIAL_PREFIX), textOf(result));
      equal(decisionOf(result).rule, "hide");
      ok(!textOf(result).includes("PATH"), "the server's environment must not leak");
    });
  } finally {
    await client.close();
  }
});

Deno.test("intercept proxy with default: deny allows only the listed tools", async () => {
  const client = await connectClient(policyPath("default_deny.yaml"), EVERYTHING);
  try {
    const echo = await client.callTool({ name: "echo", arguments: { message: "listed" } });
    equal(textOf(echo), "Echo: listed");
    for (const name of ["get-sum", "get-tiny-image"]) {
      const result = await client.callTool({ name, arguments: { a: 1, b: 2 } });
      equal(result.isError, true, name);
      ok(textOf(result).startsWith(DENIAL_PREFIX), textOf(result));
      equal(decisionOf(result).rule, "default");
    }
  } finally {
    await client.close();
  }
});

Deno.test("intercept proxy checks required_args against a schema it fetches itself", async () => {
  const tap = await Tap.create();
  // A fresh connection that never calls tools/list: the proxy must ask the server itself.
  const client = await connectClient(policyPath("required_args.yaml"), tap.wrap(EVERYTHING));
  try {
    const denied = await client.callTool({ name: "get-sum", arguments: { a: 1 } });
    equal(denied.isError, true);
    const text = textOf(denied);
    ok(text.startsWith(DENIAL_PREFIX), text);
    ok(/\bb\b/.test(text), `the denial should name the missing argument b: ${text}`);
    equal(decisionOf(denied).rule, "sums need both numbers");

    const allowed = await client.callTool({ name: "get-sum", arguments: { a: 1, b: 2 } });
    equal(allowed.isError, undefined);
    equal(textOf(allowed), "The sum of 1 and 2 is 3.");

    const seen = await tap.waitFor((m) => isObject(m) && m.method === "tools/call");
    const lists = seen.filter((m): m is JsonObject => isObject(m) && m.method === "tools/list");
    equal(lists.length, 1, "the proxy lists the tools once");
    // The client never listed tools: the one list is the proxy's own.
    deepEqual(toolCalls(seen).map((call) => call.params), [
      { name: "get-sum", arguments: { a: 1, b: 2 } },
    ]);
  } finally {
    await client.close();
    await tap.remove();
  }
});
