/**
 * MCP clients for the end-to-end tests, each spawning a stdio command line (put `intercept` in
 * front of a server by passing the proxy's command line): the v1 SDK client and the v2 client
 * (`@modelcontextprotocol/client` 2.4.0) pinned to 2026-07-28, in automatic negotiation, or on
 * the legacy handshake. Every kind answers elicitation and sampling (MRTR `inputRequests` on the
 * modern era, server→client requests on the legacy one) with handlers a test configures, and
 * counts how often it was asked.
 */
import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport as V1Transport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport as V1HttpTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import {
  Client as V2Client,
  type McpSubscription,
  StreamableHTTPClientTransport as V2HttpTransport,
} from "@modelcontextprotocol/client";
import { StdioClientTransport as V2Transport } from "@modelcontextprotocol/client/stdio";
import { childEnv, type JsonObject, ROOT } from "./helpers.ts";
import { EventCounter } from "./event_counter.ts";

export const MODERN_VERSION = "2026-07-28";

/** `v2-modern` is pinned to 2026-07-28, `v2-auto` negotiates, `v2-legacy` runs `initialize`. */
export type ClientKind = "v1" | "v2-modern" | "v2-auto" | "v2-legacy";
export const CLIENT_KINDS: readonly ClientKind[] = ["v1", "v2-modern", "v2-auto", "v2-legacy"];

// Type aliases, not interfaces: the SDKs' result types carry index signatures.
export type ElicitAnswer = {
  action: "accept" | "decline" | "cancel";
  content?: Record<string, string | number | boolean | string[]>;
};

export type SampleAnswer = {
  role: "assistant";
  content: { type: "text"; text: string };
  model: string;
  stopReason?: string;
};

export interface TestClientOptions {
  /** Answers `elicitation/create` (default: accept with `{confirm: true}`). */
  elicit?: (params: JsonObject) => ElicitAnswer | Promise<ElicitAnswer>;
  /** Answers `sampling/createMessage` (default: the text "a short summary"). */
  sample?: (params: JsonObject) => SampleAnswer | Promise<SampleAnswer>;
  /** Which input capabilities the client declares (default: both). */
  capabilities?: { elicitation?: boolean; sampling?: boolean };
  /** The `clientInfo` name (default `intercept-e2e-<kind>`). */
  name?: string;
  /** Environment of the spawned command (default: ours without INTERCEPT_*). */
  env?: Record<string, string>;
  /** Show the command's stderr (default: ignore it). */
  stderr?: "ignore" | "inherit";
}

export interface ToolSummary {
  name: string;
  inputSchema: JsonObject;
}

/** The tool-list changes a client has been told about. */
export interface ToolChanges {
  /** Notifications received so far. */
  readonly count: number;
  /** Resolves once `count` reaches `n` (default: one more than now). */
  waitFor(n?: number, timeoutMs?: number): Promise<void>;
  /** Ends the subscription (modern); a no-op on the legacy era. */
  close(): Promise<void>;
}

/** One connected client, whatever its kind. */
export interface TestClient {
  readonly kind: ClientKind;
  /** The era the connection runs in, as the client negotiated it. */
  readonly era: "legacy" | "modern";
  /** The negotiated protocol version (undefined for v1, which does not expose it). */
  readonly protocolVersion: string | undefined;
  /** Every elicitation and sampling request the client was asked to fulfil, in order. */
  readonly asked: { elicitation: JsonObject[]; sampling: JsonObject[] };
  /** `tools/list`, every page; the v2 client refreshes its response cache instead of using it. */
  listTools(): Promise<ToolSummary[]>;
  /** `tools/call`; on the modern era the v2 client runs the MRTR rounds inside it. */
  callTool(name: string, args?: JsonObject): Promise<JsonObject>;
  /** Starts counting `notifications/tools/list_changed` (a `subscriptions/listen` on modern). */
  watchToolChanges(): Promise<ToolChanges>;
  close(): Promise<void>;
  /** The SDK client itself, for anything else. */
  readonly sdk: V1Client | V2Client;
}

const DEFAULT_ELICIT = (): ElicitAnswer => ({ action: "accept", content: { confirm: true } });
const DEFAULT_SAMPLE = (): SampleAnswer => ({
  role: "assistant",
  content: { type: "text", text: "a short summary" },
  model: "intercept-test-model",
  stopReason: "endTurn",
});

/** The `deno` command line of the modern test server. */
export function modernServer(
  options: { mode?: "dual" | "modern-only"; tap?: string; listTtlMs?: number } = {},
): string[] {
  return [
    "deno",
    "run",
    "-A",
    `${ROOT}test/e2e/fixtures/modern_server.ts`,
    `--mode=${options.mode ?? "dual"}`,
    ...(options.tap ? [`--tap=${options.tap}`] : []),
    ...(options.listTtlMs === undefined ? [] : [`--list-ttl-ms=${options.listTtlMs}`]),
  ];
}

/** An MCP server over Streamable HTTP: its URL and the headers to send (a bearer token). */
export interface HttpTarget {
  url: string;
  headers?: Record<string, string>;
}

/** A stdio command line to start, or an HTTP endpoint to call. */
export type Target = readonly string[] | HttpTarget;

/** Connects a client of `kind` to the stdio server that `command` starts, or to a URL. */
export function connectAs(
  kind: ClientKind,
  target: Target,
  options: TestClientOptions = {},
): Promise<TestClient> {
  return kind === "v1" ? connectV1(target, options) : connectV2(kind, target, options);
}

function isHttp(target: Target): target is HttpTarget {
  return !Array.isArray(target);
}

function spawnParams(command: readonly string[], options: TestClientOptions) {
  const [program, ...args] = command;
  if (!program) throw new Error("The command line is empty");
  return {
    command: program,
    args,
    cwd: ROOT,
    env: options.env ?? childEnv(),
    stderr: options.stderr ?? "ignore",
  };
}

function inputLog() {
  return { elicitation: [] as JsonObject[], sampling: [] as JsonObject[] };
}

export async function connectV1(
  target: Target,
  options: TestClientOptions = {},
): Promise<TestClient> {
  const { elicitation = true, sampling = true } = options.capabilities ?? {};
  const client = new V1Client(
    { name: options.name ?? "intercept-e2e-v1", version: "1.0.0" },
    {
      capabilities: {
        ...(elicitation ? { elicitation: {} } : {}),
        ...(sampling ? { sampling: {} } : {}),
      },
    },
  );
  const asked = inputLog();
  const elicit = options.elicit ?? DEFAULT_ELICIT;
  const sample = options.sample ?? DEFAULT_SAMPLE;
  if (elicitation) {
    client.setRequestHandler(ElicitRequestSchema, (request: { params: unknown }) => {
      asked.elicitation.push(request.params as JsonObject);
      return elicit(request.params as JsonObject);
    });
  }
  if (sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, (request: { params: unknown }) => {
      asked.sampling.push(request.params as JsonObject);
      return sample(request.params as JsonObject);
    });
  }
  const transport = isHttp(target)
    ? new V1HttpTransport(new URL(target.url), { requestInit: { headers: target.headers } })
    : new V1Transport(spawnParams(target as readonly string[], options));
  try {
    await client.connect(transport);
  } catch (error) {
    await client.close();
    throw error;
  }
  const changes = new EventCounter("notifications/tools/list_changed");
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => changes.add());
  return {
    kind: "v1",
    era: "legacy",
    protocolVersion: undefined,
    asked,
    sdk: client,
    async listTools() {
      const tools: ToolSummary[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : undefined);
        for (const tool of page.tools) tools.push(summary(tool));
        cursor = page.nextCursor;
      } while (cursor);
      return tools;
    },
    async callTool(name, args = {}) {
      return await client.callTool({ name, arguments: args }) as JsonObject;
    },
    watchToolChanges() {
      return Promise.resolve(changesView(changes, () => Promise.resolve()));
    },
    close: () => client.close(),
  };
}

export async function connectV2(
  kind: Exclude<ClientKind, "v1">,
  target: Target,
  options: TestClientOptions = {},
): Promise<TestClient> {
  const { elicitation = true, sampling = true } = options.capabilities ?? {};
  const mode = kind === "v2-modern"
    ? { pin: MODERN_VERSION }
    : kind === "v2-auto"
    ? "auto"
    : "legacy";
  const client = new V2Client(
    { name: options.name ?? `intercept-e2e-${kind}`, version: "1.0.0" },
    {
      capabilities: {
        ...(elicitation ? { elicitation: {} } : {}),
        ...(sampling ? { sampling: {} } : {}),
      },
      versionNegotiation: { mode },
    },
  );
  const asked = inputLog();
  const elicit = options.elicit ?? DEFAULT_ELICIT;
  const sample = options.sample ?? DEFAULT_SAMPLE;
  if (elicitation) {
    client.setRequestHandler("elicitation/create", async (request) => {
      asked.elicitation.push(request.params as JsonObject);
      return await elicit(request.params as JsonObject);
    });
  }
  if (sampling) {
    client.setRequestHandler("sampling/createMessage", async (request) => {
      asked.sampling.push(request.params as JsonObject);
      return await sample(request.params as JsonObject);
    });
  }
  const transport = isHttp(target)
    ? new V2HttpTransport(new URL(target.url), { requestInit: { headers: target.headers } })
    : new V2Transport(spawnParams(target as readonly string[], options));
  try {
    await client.connect(transport);
  } catch (error) {
    await client.close();
    throw error;
  }
  const changes = new EventCounter("notifications/tools/list_changed");
  client.setNotificationHandler("notifications/tools/list_changed", () => changes.add());
  const era = client.getProtocolEra() === "modern" ? "modern" : "legacy";
  return {
    kind,
    era,
    protocolVersion: client.getNegotiatedProtocolVersion(),
    asked,
    sdk: client,
    async listTools() {
      const { tools } = await client.listTools(undefined, { cacheMode: "refresh" });
      return tools.map(summary);
    },
    async callTool(name, args = {}) {
      return await client.callTool({ name, arguments: args }) as JsonObject;
    },
    async watchToolChanges() {
      if (era === "legacy") return changesView(changes, () => Promise.resolve());
      const subscription: McpSubscription = await client.listen({ toolsListChanged: true });
      return changesView(changes, () => subscription.close());
    },
    close: () => client.close(),
  };
}

function summary(tool: { name: string; inputSchema: unknown }): ToolSummary {
  return { name: tool.name, inputSchema: tool.inputSchema as JsonObject };
}

function changesView(counter: EventCounter, close: () => Promise<void>): ToolChanges {
  const start = counter.count;
  return {
    get count() {
      return counter.count - start;
    },
    waitFor: (n, timeoutMs) => counter.waitFor(start + (n ?? counter.count - start + 1), timeoutMs),
    close,
  };
}
