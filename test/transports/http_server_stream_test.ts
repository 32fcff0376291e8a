import { deepEqual, equal, match } from "node:assert/strict";
import { ServerStream, STREAM_RETRIES } from "../../src/transports/http_server_stream.ts";

const encoder = new TextEncoder();

function sse(text: string): Response {
  return new Response(encoder.encode(text), { headers: { "content-type": "text/event-stream" } });
}

function harness(answers: (() => Response | Promise<Response>)[]) {
  const opened: string[] = [];
  const events: string[] = [];
  let gone: string | null = null;
  const stream = new ServerStream({
    open: (lastEventId) => {
      opened.push(lastEventId);
      const next = answers.shift();
      return next ? Promise.resolve(next()) : Promise.reject(new Error("connection refused"));
    },
    maxBytes: 1_000,
    pump: {
      event: (event) => events.push(event.data),
      oversize: () => {},
      chunkEnd: () => {},
    },
    onGone: (why) => gone = why,
    debug: () => {},
    retryFirstMs: 1,
  });
  return { stream, opened, events, gone: () => gone };
}

Deno.test("ServerStream opens again after the stream ends, resuming after its last event", async () => {
  const h = harness([
    () => sse("id: 1\ndata: a\n\n"),
    () => sse("id: 2\ndata: b\n\n"),
    () => new Response(null, { status: 405 }),
  ]);
  await h.stream.run();
  deepEqual(h.events, ["a", "b"]);
  deepEqual(h.opened, ["", "1", "2"]);
  equal(h.gone(), null, "a 405 means no stream, not a lost session");
});

Deno.test("ServerStream does not retry a server that never offered a stream", async () => {
  const h = harness([() => new Response("no", { status: 404 })]);
  await h.stream.run();
  equal(h.opened.length, 1);
  equal(h.gone(), null);
});

Deno.test("ServerStream reports the session gone when its stream is refused after it had one", async () => {
  const h = harness([
    () => sse("data: a\n\n"),
    () => new Response("unknown session", { status: 404 }),
  ]);
  await h.stream.run();
  match(h.gone()!, /no longer knows the session/);
});

Deno.test("ServerStream gives the session up after its retries fail in a row", async () => {
  const h = harness([() => sse("data: a\n\n")]); // then every attempt is refused
  await h.stream.run();
  equal(h.opened.length, 1 + STREAM_RETRIES + 1);
  match(h.gone()!, new RegExp(`could not be opened again in ${STREAM_RETRIES} attempts`));
});

Deno.test("ServerStream stops at once when closed", async () => {
  const h = harness([() => sse("data: a\n\n")]);
  const running = h.stream.run();
  h.stream.close();
  await running;
  equal(h.gone(), null);
});

Deno.test("ServerStream reports the session gone when the server is back without it after failures", async () => {
  // The first attempt fails (the server is down), the second is refused: it lost the session.
  const h = harness([
    () => Promise.reject(new Error("refused")),
    () => new Response(null, { status: 400 }),
  ]);
  await h.stream.run();
  equal(h.opened.length, 2);
  match(h.gone()!, /no longer knows the session/);
});
