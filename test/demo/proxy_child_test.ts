/** The demo's proxy process and its stdio as an MCP client transport. */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { MAX_LINE_CHARS, ProxyChild } from "../../src/demo/proxy_child.ts";

/** A child running `code` with `deno eval`. */
function child(code: string): ProxyChild {
  return ProxyChild.spawn([Deno.execPath(), "eval", code]);
}

/** Starts `transport` and collects what it reports until it closes. */
async function drain(proxy: ProxyChild, send: unknown[] = []) {
  const transport = proxy.transport();
  const messages: unknown[] = [];
  const errors: string[] = [];
  const closed = Promise.withResolvers<void>();
  transport.onmessage = (message) => messages.push(message);
  transport.onerror = (error) => errors.push(error.message);
  transport.onclose = closed.resolve;
  await transport.start();
  for (const message of send) await transport.send(message as never);
  await closed.promise;
  return { messages, errors };
}

Deno.test("ProxyChild's transport passes JSON-RPC lines both ways and skips stray lines", async () => {
  // Echoes each line it reads back, after a stray line and a blank one.
  const proxy = child(`
    console.log("not json");
    console.log("");
    const text = await new Response(Deno.stdin.readable).text();
    for (const line of text.split("\\n").filter(Boolean)) console.log(line);
  `);
  const sent = [{ jsonrpc: "2.0", id: 1, method: "ping" }, { jsonrpc: "2.0", method: "n" }];
  const transport = proxy.transport();
  const messages: unknown[] = [];
  const closed = Promise.withResolvers<void>();
  transport.onmessage = (message) => messages.push(message);
  transport.onclose = closed.resolve;
  await transport.start();
  for (const message of sent) await transport.send(message as never);
  await transport.close(); // closes its stdin: it echoes and ends
  await closed.promise;
  deepEqual(messages, sent);
  equal((await proxy.ended()).code, 0);
});

Deno.test("ProxyChild's transport reports a line that is JSON but no JSON-RPC message", async () => {
  const proxy = child(`console.log(JSON.stringify({ hello: 1 })); console.log("[1]");`);
  const { messages, errors } = await drain(proxy);
  deepEqual(messages, []);
  equal(errors.length, 2);
  match(errors[0], /no JSON-RPC message/);
});

Deno.test("ProxyChild's transport ends the link on a line longer than its bound", async () => {
  const proxy = child(`
    const line = new Uint8Array(${MAX_LINE_CHARS} + 10).fill(97);
    await Deno.stdout.write(line);
    setInterval(() => {}, 1_000); // and stays, until it is ended
  `);
  const { messages, errors } = await drain(proxy);
  deepEqual(messages, []);
  match(errors[0], new RegExp(`longer than ${MAX_LINE_CHARS} characters`));
  equal((await proxy.ended()).signal, "SIGTERM", "it was ended");
});

Deno.test("ProxyChild keeps the proxy's stderr, all of it once it has ended", async () => {
  const proxy = child(
    `console.error("first"); console.error("the policy does not load"); Deno.exit(2)`,
  );
  const { messages } = await drain(proxy);
  deepEqual(messages, []);
  equal((await proxy.ended()).code, 2);
  equal(proxy.stderr, "first\nthe policy does not load\n");
});

Deno.test("ProxyChild.close() ends a proxy that ignores the end of its stdin (SIGTERM)", async () => {
  const proxy = child(`
    console.log(JSON.stringify({ jsonrpc: "2.0", method: "ready" }));
    setInterval(() => {}, 1_000);
  `);
  const transport = proxy.transport();
  const ready = Promise.withResolvers<void>();
  transport.onmessage = () => ready.resolve();
  await transport.start();
  await ready.promise;
  await proxy.close();
  equal((await proxy.ended()).signal, "SIGTERM");
  await proxy.close(); // twice is fine
});

Deno.test("ProxyChild hands out one transport", async () => {
  const proxy = child(`Deno.exit(0)`);
  try {
    proxy.transport();
    let refused = false;
    try {
      proxy.transport();
    } catch (error) {
      refused = /already taken/.test((error as Error).message);
    }
    ok(refused);
  } finally {
    await proxy.close();
  }
});
