/**
 * Raw 2026-07-28 requests for the end-to-end tests: the per-request `_meta` envelope, and
 * `subscriptions/listen` over a `RawProxy` (which spawns any `deno` command line, the proxy or
 * a server).
 */
import { isObject, type JsonObject, RawProxy } from "./helpers.ts";

export const PROTOCOL_VERSION_KEY = "io.modelcontextprotocol/protocolVersion";
export const CLIENT_CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities";
export const CLIENT_INFO_KEY = "io.modelcontextprotocol/clientInfo";
export const SERVER_INFO_KEY = "io.modelcontextprotocol/serverInfo";
export const SUBSCRIPTION_ID_KEY = "io.modelcontextprotocol/subscriptionId";

export interface EnvelopeOptions {
  /** Default `2026-07-28`. */
  version?: string;
  /** Default `{elicitation: {}, sampling: {}}`. */
  capabilities?: JsonObject;
  /** Default `{name: "intercept-e2e-raw", version: "1.0.0"}`; null leaves it out (it is optional). */
  clientInfo?: JsonObject | null;
}

/** The envelope keys of `_meta` for one modern request. */
export function envelope(options: EnvelopeOptions = {}): JsonObject {
  const clientInfo = options.clientInfo === undefined
    ? { name: "intercept-e2e-raw", version: "1.0.0" }
    : options.clientInfo;
  return {
    [PROTOCOL_VERSION_KEY]: options.version ?? "2026-07-28",
    [CLIENT_CAPABILITIES_KEY]: options.capabilities ?? { elicitation: {}, sampling: {} },
    ...(clientInfo === null ? {} : { [CLIENT_INFO_KEY]: clientInfo }),
  };
}

/** `params` with the envelope merged into its `_meta` (keys already there win). */
export function modernParams(params: JsonObject = {}, options: EnvelopeOptions = {}): JsonObject {
  const meta = isObject(params._meta) ? params._meta : {};
  return { ...params, _meta: { ...envelope(options), ...meta } };
}

/** Spawns `command` (a `deno` command line, such as `modernServer()`) as a RawProxy. */
export function startRaw(command: readonly string[]): RawProxy {
  const [program, ...args] = command;
  if (!program) throw new Error("The command line is empty");
  return new RawProxy([], { program: { command: program, args } });
}

/** A modern request through `raw`, with the envelope; resolves with its answer. */
export function modernRequest(
  raw: RawProxy,
  method: string,
  params: JsonObject = {},
  options: EnvelopeOptions = {},
): Promise<JsonObject> {
  return raw.request(method, modernParams(params, options));
}

/** An open `subscriptions/listen` stream on a RawProxy. */
export interface RawSubscription {
  /** The subscription id: the listen request's JSON-RPC id. */
  id: string;
  /** The `notifications` filter the server acknowledged. */
  honored: JsonObject;
  /** The notifications with `method` tagged with this subscription, from index `since` on. */
  notifications(method: string): JsonObject[];
  /** Sends `notifications/cancelled` for the listen request. */
  cancel(): Promise<void>;
}

let listenCounter = 0;

/** Opens `subscriptions/listen` with `filter` and waits for its acknowledgement. */
export async function listen(
  raw: RawProxy,
  filter: JsonObject,
  options: EnvelopeOptions = {},
): Promise<RawSubscription> {
  const id = `raw-listen-${++listenCounter}`;
  const since = raw.messages.length;
  await raw.send({
    jsonrpc: "2.0",
    id,
    method: "subscriptions/listen",
    params: modernParams({ notifications: filter }, options),
  });
  const tagged = (m: unknown): m is JsonObject =>
    isObject(m) && isObject(m.params) && isObject(m.params._meta) &&
    m.params._meta[SUBSCRIPTION_ID_KEY] === id;
  const first = await raw.waitFor((m) => tagged(m) || (isObject(m) && m.id === id), {
    since,
    what: `the acknowledgement of ${id}`,
  }) as JsonObject;
  if (first.method !== "notifications/subscriptions/acknowledged") {
    throw new Error(`subscriptions/listen was not acknowledged: ${JSON.stringify(first)}`);
  }
  const honored = (first.params as JsonObject).notifications;
  return {
    id,
    honored: isObject(honored) ? honored : {},
    notifications: (method) =>
      raw.messages.slice(since).filter((m): m is JsonObject => tagged(m) && m.method === method),
    cancel: () =>
      raw.send({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: modernParams({ requestId: id }, options),
      }),
  };
}
