/**
 * `intercept --upstream URL`: the real proxy process, SDK clients on its stdio, and a server
 * at a URL: server-everything in its Streamable HTTP and its (legacy) SSE mode, the modern test
 * server over Streamable HTTP (dual-era and modern-only). Each client lists, is denied readably,
 * is rate limited, has its arguments checked against a schema the proxy fetched over HTTP, and
 * on the modern server runs an MRTR round and a call whose argument travels in a header.
 */
import { equal, ok } from "node:assert/strict";
import { type ClientKind, connectAs, type TestClient } from "./clients.ts";
import { decisionOf, DENIAL_PREFIX, type JsonObject, policyPath, textOf } from "./helpers.ts";
import { type HttpServer, startEverything, startModernHttp } from "./http_servers.ts";
import { interceptArgv } from "./intercept_command.ts";

const POLICY = policyPath("eras.yaml");

interface Upstream {
  name: string;
  start(): Promise<HttpServer>;
  kinds: ClientKind[];
  hidden: string[];
  /** A call under `validate.required_args` with an argument missing, and the name of it. */
  incomplete: [string, JsonObject, string];
  /** A tool under a rate limit of one, with arguments that pass. */
  paced: [string, JsonObject];
  modern: boolean;
}

const UPSTREAMS: Upstream[] = [
  {
    name: "server-everything over Streamable HTTP",
    start: () => startEverything("streamableHttp"),
    kinds: ["v1", "v2-auto"],
    hidden: [],
    incomplete: ["get-sum", { a: 1 }, "b"],
    paced: ["get-sum", { a: 1, b: 2 }],
    modern: false,
  },
  {
    name: "server-everything over the legacy SSE transport",
    start: () => startEverything("sse"),
    kinds: ["v1", "v2-auto"],
    hidden: [],
    incomplete: ["get-sum", { a: 1 }, "b"],
    paced: ["get-sum", { a: 1, b: 2 }],
    modern: false,
  },
  {
    name: "the modern server over Streamable HTTP",
    start: () => startModernHttp(),
    kinds: ["v1", "v2-modern", "v2-auto", "v2-legacy"],
    hidden: ["toggle-extra", "long-running"],
    incomplete: ["create-topic", { topicName: "orders" }, "partitions"],
    paced: ["add", { a: 1, b: 2 }],
    modern: true,
  },
  {
    name: "the modern-only server over Streamable HTTP",
    start: () => startModernHttp({ mode: "modern-only" }),
    kinds: ["v2-modern", "v2-auto"],
    hidden: ["toggle-extra", "long-running"],
    incomplete: ["create-topic", { topicName: "orders" }, "partitions"],
    paced: ["add", { a: 1, b: 2 }],
    modern: true,
  },
];

function assertDenial(result: JsonObject, rule?: string): string {
  equal(result.isError, true, JSON.stringify(result));
  const text = textOf(result);
  ok(text.startsWith(DENIAL_PREFIX), text);
  if (rule) equal(decisionOf(result).rule, rule);
  return text;
}

function connect(kind: ClientKind, url: string): Promise<TestClient> {
  return connectAs(kind, interceptArgv(["-c", POLICY, "--no-control", "--upstream", url]));
}

for (const upstream of UPSTREAMS) {
  Deno.test(`intercept --upstream serves every client in front of ${upstream.name}`, async (t) => {
    const server = await upstream.start();
    try {
      for (const kind of upstream.kinds) {
        await t.step(`the ${kind} client`, async () => {
          const client = await connect(kind, server.url);
          try {
            await checkClient(client, upstream);
          } finally {
            await client.close();
          }
        });
      }
    } finally {
      await server.stop();
    }
  });
}

async function checkClient(client: TestClient, upstream: Upstream): Promise<void> {
  // First action: the proxy fetches the tool list over HTTP, in the client's era.
  const [tool, args, missing] = upstream.incomplete;
  const incomplete = await client.callTool(tool, args);
  ok(
    assertDenial(incomplete).includes(`missing required argument: ${missing}`),
    textOf(incomplete),
  );

  const names = (await client.listTools()).map((t) => t.name);
  ok(names.includes("echo"), names.join(", "));
  for (const hidden of upstream.hidden) ok(!names.includes(hidden), hidden);

  const allowed = await client.callTool("echo", { message: "hello" });
  equal(allowed.isError, undefined, JSON.stringify(allowed));
  ok(textOf(allowed).includes("hello"), textOf(allowed));
  const denied = await client.callTool("echo", { message: "a secret" });
  equal(assertDenial(denied, "no secrets"), `${DENIAL_PREFIX}Echoing secrets is not allowed`);

  const [paced, pacedArgs] = upstream.paced;
  const first = await client.callTool(paced, pacedArgs);
  equal(first.isError, undefined, JSON.stringify(first));
  ok(assertDenial(await client.callTool(paced, pacedArgs)).includes("(retry in 1m)"));

  if (!upstream.modern) return;
  // The SDK serves legacy HTTP requests statelessly: it cannot ask a legacy client anything.
  if (client.era === "modern") {
    const confirmed = await client.callTool("confirm-action", { action: "deploy" });
    equal(textOf(confirmed), "Confirmed: deploy");
    equal(client.asked.elicitation.length, 1, "the user was asked once");
  }
  // Its region travels in Mcp-Param-Region too, which the server checks against the body.
  const regional = await client.callTool("regional-echo", { region: "eu-wést", message: "hi" });
  equal(textOf(regional), "eu-wést: hi", JSON.stringify(regional));
}
