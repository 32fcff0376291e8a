/**
 * A raw Streamable HTTP client for the benchmark: `fetch` with keep-alive, hand-written JSON-RPC,
 * no SDK, so that what it costs is the same for every path it talks to. A legacy session is
 * `initialize` → `Mcp-Session-Id` → `notifications/initialized` → `tools/call`s → DELETE; a
 * 2026-07-28 client sends each `tools/call` alone with the headers and `_meta` envelope.
 */

export type JsonObject = Record<string, unknown>;

/** The three calls every path makes in turn (the stdio benchmark's): all allowed by the policy. */
export const BENCH_CALLS: readonly { name: string; arguments: JsonObject }[] = [
  { name: "list-topics", arguments: {} },
  {
    name: "consume-messages",
    arguments: { topicNames: ["orders-eu"], maxMessages: 100, fromBeginning: false },
  },
  { name: "get-topic-config", arguments: { topicName: "orders-eu" } },
];

export const LEGACY_VERSION = "2025-06-18";
export const MODERN_VERSION = "2026-07-28";

/** Longest time one request may take before the benchmark gives up on it. */
export const REQUEST_TIMEOUT_MS = 60_000;
/** Largest answer the client reads: the benchmark's answers are under 1 KiB. */
const MAX_BODY_CHARS = 1_048_576;

const ACCEPT = "application/json, text/event-stream";

/** A call that made its round trip; `ok` is false for an error or an `isError` result. */
export interface CallOutcome {
  ok: boolean;
}

/**
 * The JSON-RPC answer with `id` in a response body, whether the server answered with JSON or
 * with an event stream (`data:` lines, possibly several events); throws naming what it got.
 */
export function answerIn(contentType: string, body: string, id: number): JsonObject {
  if (body.length > MAX_BODY_CHARS) {
    throw new Error(`The answer to request ${id} is over ${MAX_BODY_CHARS} characters`);
  }
  const candidates: unknown[] = [];
  if (contentType.startsWith("text/event-stream")) {
    for (const event of body.split(/\r?\n\r?\n/)) {
      const data = event.split(/\r?\n/).filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, "")).join("\n");
      if (data) candidates.push(parse(data, id));
    }
  } else if (contentType.startsWith("application/json")) {
    const parsed = parse(body, id);
    candidates.push(...(Array.isArray(parsed) ? parsed : [parsed]));
  } else {
    throw new Error(`The answer to request ${id} has Content-Type "${contentType}"`);
  }
  const answer = candidates.find((each) =>
    typeof each === "object" && each !== null && (each as JsonObject).id === id &&
    !("method" in each)
  );
  if (!answer) {
    throw new Error(`No answer to request ${id} in the response: ${body.slice(0, 200)}`);
  }
  return answer as JsonObject;
}

function parse(text: string, id: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`The answer to request ${id} is not JSON: ${text.slice(0, 200)}`);
  }
}

/** True when a `tools/call` answer is a plain success (not a denial, not an error). */
export function succeeded(answer: JsonObject): boolean {
  const result = answer.result as JsonObject | undefined;
  return typeof result === "object" && result !== null && result.isError !== true;
}

async function post(
  url: string,
  headers: Record<string, string>,
  message: JsonObject,
): Promise<Response> {
  return await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: ACCEPT, ...headers },
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
}

async function request(
  url: string,
  headers: Record<string, string>,
  message: JsonObject & { id: number },
): Promise<{ answer: JsonObject; response: Response }> {
  const response = await post(url, headers, message);
  const body = await response.text();
  if (response.status !== 200) {
    throw new Error(`${message.method} got HTTP ${response.status}: ${body.slice(0, 200)}`);
  }
  const answer = answerIn(response.headers.get("content-type") ?? "", body, message.id);
  return { answer, response };
}

/** One legacy session on a Streamable HTTP endpoint. */
export class LegacySession {
  readonly #url: string;
  readonly #headers: Record<string, string>;
  #nextId = 1;

  private constructor(url: string, sessionId: string) {
    this.#url = url;
    this.#headers = { "mcp-session-id": sessionId, "mcp-protocol-version": LEGACY_VERSION };
  }

  /** `initialize`, then `notifications/initialized`; throws when either is refused. */
  static async open(url: string): Promise<LegacySession> {
    const { answer, response } = await request(url, {}, {
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: {
        protocolVersion: LEGACY_VERSION,
        capabilities: {},
        clientInfo: { name: "intercept-bench-http", version: "1.0.0" },
      },
    });
    const sessionId = response.headers.get("mcp-session-id");
    if (answer.result === undefined || !sessionId) {
      throw new Error(`initialize did not open a session: ${JSON.stringify(answer)}`);
    }
    const session = new LegacySession(url, sessionId);
    const initialized = await post(url, session.#headers, {
      jsonrpc: "2.0",
      method: "notifications/initialized",
    });
    await initialized.body?.cancel();
    if (initialized.status !== 202) {
      throw new Error(`notifications/initialized got HTTP ${initialized.status}`);
    }
    return session;
  }

  async call(index: number): Promise<CallOutcome> {
    const params = BENCH_CALLS[index % BENCH_CALLS.length];
    const id = this.#nextId++;
    const { answer } = await request(this.#url, this.#headers, {
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params,
    });
    return { ok: succeeded(answer) };
  }

  /** DELETE: ends the session (and, for a proxy that gave it one, its server). */
  async close(): Promise<void> {
    const response = await fetch(this.#url, {
      method: "DELETE",
      headers: this.#headers,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await response.body?.cancel();
  }
}

/** A 2026-07-28 client: no session; every request carries its version, headers and envelope. */
export class ModernClient {
  readonly #url: string;
  #nextId = 1;

  constructor(url: string) {
    this.#url = url;
  }

  async call(index: number): Promise<CallOutcome> {
    const { name, arguments: args } = BENCH_CALLS[index % BENCH_CALLS.length];
    const id = this.#nextId++;
    const headers = {
      "mcp-protocol-version": MODERN_VERSION,
      "mcp-method": "tools/call",
      "mcp-name": name,
    };
    const { answer } = await request(this.#url, headers, {
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: {
        name,
        arguments: args,
        _meta: {
          "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
          "io.modelcontextprotocol/clientCapabilities": {},
          "io.modelcontextprotocol/clientInfo": { name: "intercept-bench-http", version: "1.0.0" },
        },
      },
    });
    return { ok: succeeded(answer) };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
