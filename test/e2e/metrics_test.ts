/**
 * Metrics and traces through the real proxy process: `/metrics` of `--listen` (behind the same
 * bearer token as /mcp) counting an SDK client's allowed and denied calls; `--metrics
 * 127.0.0.1:0` of a stdio proxy; and OpenTelemetry spans exported by Deno (OTEL_DENO=true,
 * OTLP http/json) to a receiver the test runs, continuing the call's `_meta.traceparent`, from a
 * stdio proxy and from `--listen`.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { connectAs, modernServer } from "./clients.ts";
import {
  childEnv,
  DENIAL_PREFIX,
  type JsonObject,
  policyPath,
  RawProxy,
  textOf,
} from "./helpers.ts";
import { modernHeaders, startHttpProxy } from "./http_proxy.ts";
import { envelope } from "./modern_envelope.ts";

const POLICY = policyPath("eras.yaml");
const TOKEN_HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"; // "test"

/** Every sample of a Prometheus text by `name{labels}`. */
function parse(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const entry of text.split("\n")) {
    if (entry === "" || entry.startsWith("#")) continue;
    const space = entry.lastIndexOf(" ");
    found.set(entry.slice(0, space), Number(entry.slice(space + 1)));
  }
  return found;
}

async function scrape(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  const text = await response.text();
  return { status: response.status, type: response.headers.get("content-type"), text };
}

Deno.test("intercept --listen counts an SDK client's calls at /metrics, behind the bearer token", async () => {
  const dir = await Deno.makeTempDir();
  const tokens = `${dir}/tokens.yaml`;
  await Deno.writeTextFile(tokens, `scraper: "sha256:${TOKEN_HASH}"\n`);
  const proxy = await startHttpProxy(POLICY, modernServer(), ["--auth-tokens", tokens]);
  const auth = { authorization: "Bearer test" };
  try {
    const client = await connectAs("v1", { url: proxy.url, headers: auth });
    try {
      for (const message of ["one", "two"]) {
        ok(textOf(await client.callTool("echo", { message })).includes(message));
      }
      const denied = await client.callTool("echo", { message: "a secret" });
      equal(textOf(denied), `${DENIAL_PREFIX}Echoing secrets is not allowed`);
      equal((await client.callTool("add", { a: 1, b: 2 })).isError, undefined);
      equal((await client.callTool("add", { a: 1, b: 2 })).isError, true, "one sum a minute");

      const metrics = `${proxy.base}/metrics`;
      equal((await scrape(metrics)).status, 401, "no token, no metrics");
      equal((await scrape(metrics, { authorization: "Bearer nope" })).status, 401);
      equal((await fetch(metrics, { method: "POST", headers: auth, body: "" })).status, 405);
      const { status, type, text } = await scrape(metrics, auth);
      equal(status, 200, text);
      equal(type, "text/plain; version=0.0.4; charset=utf-8");
      const got = parse(text);
      equal(got.get('intercept_decisions_total{tool="echo",decision="allow",rule="echo"}'), 2);
      equal(got.get('intercept_decisions_total{tool="echo",decision="deny",rule="no secrets"}'), 1);
      equal(got.get('intercept_decisions_total{tool="add",decision="allow",rule="add"}'), 1);
      equal(
        got.get('intercept_decisions_total{tool="add",decision="deny",rule="one sum a minute"}'),
        1,
      );
      equal(got.get("intercept_decision_seconds_count"), 5);
      equal(got.get('intercept_decision_seconds_bucket{le="+Inf"}'), 5);
      equal(got.get('intercept_upstream_seconds_count{outcome="ok"}'), 3);
      equal(got.get("intercept_sessions"), 1, "the client's legacy session");
      equal(got.get("intercept_inflight"), 0);
      equal(got.get("intercept_approvals_pending"), 0);
      equal(got.get("intercept_state_errors_total"), 0);
      ok(!text.includes("a secret"), "never an argument");
    } finally {
      await client.close();
    }
  } finally {
    equal((await proxy.stop()).code, 0, proxy.stderr());
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("intercept --metrics 127.0.0.1:0 serves a stdio proxy's metrics at the URL it logs", async () => {
  const proxy = RawProxy.start(POLICY, modernServer(), [
    "--no-control",
    "--metrics",
    "127.0.0.1:0",
  ]);
  try {
    const [, url] = await proxy.stderrMatch(
      /Serving metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/,
    );
    await proxy.initialize();
    const allowed = await proxy.request("tools/call", {
      name: "echo",
      arguments: { message: "hi" },
    });
    ok(!(allowed.result as JsonObject).isError, JSON.stringify(allowed));
    const denied = await proxy.request("tools/call", {
      name: "echo",
      arguments: { message: "a secret" },
    });
    equal((denied.result as JsonObject).isError, true);
    const { status, type, text } = await scrape(url);
    equal(status, 200);
    equal(type, "text/plain; version=0.0.4; charset=utf-8");
    const got = parse(text);
    equal(got.get('intercept_decisions_total{tool="echo",decision="allow",rule="echo"}'), 1);
    equal(got.get('intercept_decisions_total{tool="echo",decision="deny",rule="no secrets"}'), 1);
    equal(got.get("intercept_decision_seconds_count"), 2);
    equal(got.get('intercept_upstream_seconds_count{outcome="ok"}'), 1);
    equal(got.get("intercept_sessions"), 1);
    equal((await scrape(url.replace(/\/metrics$/, "/mcp"))).status, 404);
  } finally {
    await proxy.dispose();
  }
});

Deno.test("intercept --metrics on a non-loopback host warns that anyone who reaches it sees the metrics", async () => {
  const proxy = RawProxy.start(POLICY, modernServer(), ["--no-control", "--metrics", "0.0.0.0:0"]);
  try {
    const [, port] = await proxy.stderrMatch(
      /Serving metrics at http:\/\/0\.0\.0\.0:(\d+)\/metrics/,
    );
    await proxy.stderrMatch(
      /warn: --metrics on 0\.0\.0\.0 shows tool names and counts, without auth/,
    );
    equal((await scrape(`http://127.0.0.1:${port}/metrics`)).status, 200);
  } finally {
    await proxy.dispose();
  }
});

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: { stringValue?: string } }[];
}

/** An OTLP/HTTP receiver: the spans of every JSON `POST /v1/traces` (logs and metrics ignored). */
function otlpReceiver() {
  const spans: OtlpSpan[] = [];
  const waiters = new Set<() => void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.text();
    if (new URL(req.url).pathname === "/v1/traces") {
      const data = JSON.parse(body);
      for (const resource of data.resourceSpans ?? []) {
        for (const scope of resource.scopeSpans ?? []) spans.push(...(scope.spans ?? []));
      }
      for (const waiter of [...waiters]) waiter();
    }
    return Response.json({});
  });
  return {
    endpoint: `http://127.0.0.1:${server.addr.port}`,
    spans,
    /** The first span satisfying `predicate`, once exported. */
    waitFor(predicate: (span: OtlpSpan) => boolean, timeoutMs = 20_000): Promise<OtlpSpan> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = spans.find(predicate);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`No such span within ${timeoutMs} ms: ${JSON.stringify(spans)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => server.shutdown(),
  };
}

/** Deno's exporter on, to `endpoint`, in OTLP/HTTP JSON. */
function otelEnv(endpoint: string): Record<string, string> {
  return {
    ...childEnv(),
    OTEL_DENO: "true",
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_SERVICE_NAME: "intercept-e2e",
  };
}

function attributesOf(span: OtlpSpan): Record<string, string | undefined> {
  return Object.fromEntries(span.attributes.map(({ key, value }) => [key, value.stringValue]));
}

Deno.test("intercept with OTEL_DENO=true exports a span per call, continuing _meta.traceparent, by its exit", async () => {
  const receiver = otlpReceiver();
  const proxy = RawProxy.start(
    POLICY,
    modernServer(),
    ["--no-control"],
    otelEnv(receiver.endpoint),
  );
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  const parentId = "00f067aa0ba902b7";
  try {
    await proxy.initialize();
    await proxy.request("tools/call", {
      name: "echo",
      arguments: { message: "a secret" },
      _meta: { traceparent: `00-${traceId}-${parentId}-01` },
    });
    await proxy.request("tools/call", {
      name: "echo",
      arguments: { message: "forged parent" },
      _meta: { traceparent: `00-${traceId}-${parentId}-01-x` },
    });
    // Deno batches spans (OTEL_BSP_SCHEDULE_DELAY) and sends what is left when the process
    // exits: a stdio proxy that ends with its client loses none.
    equal((await proxy.dispose()).code, 0, proxy.stderr);
    const call = await receiver.waitFor((span) =>
      span.traceId === traceId && span.name === "tools/call echo"
    );
    equal(call.name, "tools/call echo");
    equal(call.parentSpanId, parentId);
    deepEqual(
      [
        attributesOf(call)["gen_ai.tool.name"],
        attributesOf(call)["intercept.decision"],
        attributesOf(call)["intercept.rule"],
      ],
      ["echo", "deny", "no secrets"],
    );
    const decide = await receiver.waitFor((span) =>
      span.traceId === traceId && span.name === "intercept.decide"
    );
    equal(decide.parentSpanId, call.spanId);
    const fresh = await receiver.waitFor((span) =>
      span.name === "tools/call echo" && attributesOf(span)["intercept.decision"] === "allow"
    );
    ok(fresh.traceId !== traceId, "a malformed traceparent starts a trace of its own");
    ok(!fresh.parentSpanId, `a root span, not a child of ${fresh.parentSpanId}`);
    const exported = JSON.stringify(receiver.spans);
    ok(!exported.includes("a secret") && !exported.includes("forged parent"), "no arguments");
  } finally {
    await proxy.dispose();
    await receiver.close();
  }
});

Deno.test("intercept --listen with OTEL_DENO=true continues _meta.traceparent over the HTTP request's trace", async () => {
  const receiver = otlpReceiver();
  // RawProxy for its environment and its stderr: the URL is logged there.
  const proxy = RawProxy.start(
    POLICY,
    modernServer(),
    ["--listen", "127.0.0.1:0", "--no-control"],
    otelEnv(receiver.endpoint),
  );
  const headerTrace = "11111111111111111111111111111111";
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  try {
    const [, url] = await proxy.stderrMatch(/Serving MCP at (http:\/\/\S+\/mcp)/);
    const metas: JsonObject[] = [{}, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` }];
    for (const [id, meta] of metas.entries()) {
      const message = {
        jsonrpc: "2.0",
        id,
        method: "tools/call",
        params: { name: "echo", arguments: { message: "hi" }, _meta: { ...envelope(), ...meta } },
      };
      const response = await fetch(url, {
        method: "POST",
        headers: {
          ...modernHeaders(message),
          traceparent: `00-${headerTrace}-2222222222222222-01`,
        },
        body: JSON.stringify(message),
      });
      equal(response.status, 200, await response.text());
    }
  } finally {
    proxy.child.kill("SIGTERM");
    equal((await proxy.dispose()).code, 0, proxy.stderr);
  }
  try {
    const isCall = (span: OtlpSpan) => span.name === "tools/call echo";
    const underRequest = await receiver.waitFor((span) =>
      isCall(span) && span.traceId === headerTrace
    );
    const request = await receiver.waitFor((span) => span.spanId === underRequest.parentSpanId);
    equal(request.parentSpanId, "2222222222222222", "Deno's span of the HTTP request");
    const continued = await receiver.waitFor((span) => isCall(span) && span.traceId === traceId);
    equal(continued.parentSpanId, "00f067aa0ba902b7");
  } finally {
    await receiver.close();
  }
});
