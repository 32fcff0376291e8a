/**
 * The way back to one client: the upstream's answers to its requests (each under the
 * client's own id, amended where the proxy must: tool lists filtered, `listChanged`
 * advertised, stream tags rewritten), its `subscriptions/listen` streams, and the messages the
 * upstream sends it on its own.
 */
import type { LineChannel } from "../transports/stdio.ts";
import type { ClientRequest, ClientRequests } from "./client_requests.ts";
import { type Era, isKnownVersion, META, readClientInfo } from "./era.ts";
import {
  ErrorCode,
  errorResponse,
  hasNonFinite,
  isObject,
  type JsonObject,
  mayOverflow,
} from "./jsonrpc.ts";
import type { PolicyGate } from "./policy_gate.ts";
import {
  MAX_SUBSCRIPTIONS,
  retagged,
  type Subscription,
  Subscriptions,
  taggedSubscription,
  toolsChangedOn,
} from "./subscriptions.ts";
import { replaceTopLevelId } from "./top_level_id.ts";
import type { ProxyLogger } from "./upstream_link.ts";
import type { ClientRoute, UpstreamSide } from "./upstream_side.ts";

export type RequestKind = "list" | "initialize" | "discover" | "listen" | "call" | "other";

/** A look at a call's answer before the client gets it (MRTR continuations). */
export type AnswerHook = (response: JsonObject) => void | Promise<void>;

export interface ClientRelayOptions {
  gate: PolicyGate;
  requests: ClientRequests;
  side: UpstreamSide;
  client: LineChannel;
  log: ProxyLogger;
}

/**
 * How long a modern client may cache a filtered tool list: live controls can change what it
 * may see at any time, and a client without a `subscriptions/listen` stream learns it only
 * when its cache expires.
 */
export const LIST_TTL_MS = 5_000;

const TOOLS_CHANGED = JSON.stringify({
  jsonrpc: "2.0",
  method: "notifications/tools/list_changed",
});

export class ClientRelay implements ClientRoute {
  readonly #options: ClientRelayOptions;
  readonly #subscriptions = new Subscriptions();
  /** Where progress for a request goes (HTTP: the request's own response stream). */
  readonly #progressOrigins = new Map<unknown, unknown>();
  /** The client's legacy `initialize` was answered: untagged notifications may go to it. */
  #initialized = false;
  readonly maxSubscriptions = MAX_SUBSCRIPTIONS;

  constructor(options: ClientRelayOptions) {
    this.#options = options;
  }

  get subscriptionCount(): number {
    return this.#subscriptions.size;
  }

  /**
   * Sends the client's request up; its answer comes back to the client under its own id.
   * `hook` sees a result first; `settled` hears whether the upstream answered with one.
   */
  send(
    request: ClientRequest,
    message: JsonObject,
    kind: RequestKind,
    hook?: AnswerHook,
    settled?: (ok: boolean) => void,
  ): void {
    const { requests, side } = this.#options;
    const { link } = side;
    if (request.done) return;
    if (link.ended !== null) {
      return requests.answer(
        request,
        errorResponse(
          request.id,
          ErrorCode.internalError,
          `The MCP server has exited (code ${link.ended})`,
        ),
      );
    }
    const params = isObject(message.params) ? message.params : null;
    const progress = params ? this.#openProgress(request, params) : null;
    const done = () => {
      side.closeProgress(progress);
      if (kind === "listen") this.#endSubscription(request.upstreamId!);
      if (params) this.#progressOrigins.delete(progressTokenOf(params));
    };
    request.upstreamId = link.forward(message, {
      answered: (response, line) => {
        done();
        settled?.(isObject(response.result));
        const waiting = hook && isObject(response.result) ? hook(response) : undefined;
        if (!waiting) return this.#deliver(request, response, line, kind);
        waiting.catch((error: Error) => {
          this.#options.log.error(`Relaying an answer failed: ${error.message}`);
        }).then(() => this.#deliver(request, response, line, kind));
      },
      failed: (code, text) => {
        done();
        settled?.(false);
        requests.answer(request, errorResponse(request.id, code, text));
      },
    });
    if (kind === "listen") {
      this.#subscriptions.add(request, params);
      side.openStream(request.upstreamId, this);
    }
  }

  /** The client cancelled a request the upstream knows by `upstreamId`. */
  cancelled(upstreamId: number): void {
    this.#endSubscription(upstreamId);
  }

  /** Tells the client its visible tools changed: legacy sessions, and streams that asked. */
  notifyToolsChanged(): void {
    const { client, side } = this.#options;
    if (side.link.ended !== null) return;
    if (this.#initialized) client.send(TOOLS_CHANGED);
    for (const subscription of this.#subscriptions.toolListeners()) {
      client.send(
        JSON.stringify(toolsChangedOn(subscription.request.id)),
        subscription.request.origin,
      );
    }
  }

  /** A message the upstream sent this client on its own (a stream's, or a session's). */
  deliver(message: JsonObject, line: string): void {
    const { client } = this.#options;
    const method = message.method;
    const subscription = this.#subscriptions.byUpstream(taggedSubscription(message.params));
    if (subscription) {
      const origin = subscription.request.origin;
      if (method === "notifications/subscriptions/acknowledged") {
        subscription.acked = true;
        client.send(JSON.stringify(acknowledged(message, subscription)), origin);
      } else {
        client.send(JSON.stringify(retagged(message, "params", subscription.request.id)), origin);
      }
      return;
    }
    if (method === "notifications/cancelled" && isObject(message.params)) {
      // The upstream ended a stream of the client's: it names it by the proxy's id.
      const ended = this.#subscriptions.byUpstream(message.params.requestId);
      if (ended) {
        this.#endSubscription(ended.request.upstreamId!);
        this.#options.side.link.forget(ended.request.upstreamId!);
        this.#options.requests.withdraw(ended.request.id);
        client.send(
          JSON.stringify({
            ...message,
            params: { ...message.params, requestId: ended.request.id },
          }),
          ended.request.origin,
        );
        return;
      }
    }
    const origin = method === "notifications/progress" && isObject(message.params)
      ? this.#progressOrigins.get(message.params.progressToken)
      : undefined;
    client.send(line, origin);
  }

  #openProgress(request: ClientRequest, params: JsonObject): string | null {
    if (progressTokenOf(params) === undefined) return null; // most calls: no route to make
    const shared = this.#options.side.openProgress(params, {
      deliver: (_message, line) => this.#options.client.send(line, request.origin),
    });
    if (shared === null && request.origin !== undefined) {
      const token = progressTokenOf(params);
      if (token !== undefined) this.#progressOrigins.set(token, request.origin);
    }
    return shared;
  }

  #endSubscription(upstreamId: number): void {
    const subscription = this.#subscriptions.byUpstream(upstreamId);
    if (!subscription) return;
    this.#subscriptions.remove(subscription);
    this.#options.side.closeStream(upstreamId);
  }

  /**
   * The answer to the client under its own id: as the upstream wrote it when the proxy has
   * nothing to amend (only the id changes), else amended for its kind and re-serialised.
   */
  #deliver(request: ClientRequest, response: JsonObject, line: string | null, kind: RequestKind) {
    const { requests } = this.#options;
    const upstreamId = response.id as number;
    response.id = request.id;
    const amends = isObject(response.result) && kind !== "call" && kind !== "other";
    if (!amends && line !== null) {
      const text = replaceTopLevelId(line, upstreamId, request.id);
      if (text !== null) return requests.answerText(request, text);
    }
    // Re-serialised: a number JSON.parse could not hold would change on the way.
    if ((line === null || mayOverflow(line)) && hasNonFinite(response.result)) {
      this.#options.log.error("The server's answer held a number out of range; refused it");
      return requests.answer(
        request,
        errorResponse(
          request.id,
          ErrorCode.internalError,
          "The server's answer holds a number out of range (±Infinity when parsed), which the " +
            "proxy cannot pass on as sent",
        ),
      );
    }
    requests.answer(request, amends ? this.#amend(request, response, kind) : response);
  }

  /** The answer amended for its kind: lists filtered, `listChanged` advertised, tags rewritten. */
  #amend(request: ClientRequest, response: JsonObject, kind: RequestKind): JsonObject {
    const result = response.result as JsonObject;
    switch (kind) {
      case "list":
        return { ...response, result: this.#filterToolList(result, request.era) };
      case "initialize":
        return this.#initializeAnswer(request, response, result);
      case "discover":
        return { ...response, result: this.#discoverAnswer(result) };
      case "listen":
        return retagged(response, "result", request.id);
      default:
        return response;
    }
  }

  #filterToolList(result: JsonObject, era: Era): JsonObject {
    if (!Array.isArray(result.tools)) return result;
    const { gate, side } = this.#options;
    side.schemas.remember(result.tools);
    const tools = result.tools.filter((tool) =>
      isObject(tool) && typeof tool.name === "string" && gate.isVisible(tool.name)
    );
    if (era === "legacy") {
      return tools.length === result.tools.length ? result : { ...result, tools };
    }
    const ttl = typeof result.ttlMs === "number" && result.ttlMs >= 0 ? result.ttlMs : 0;
    return { ...result, tools, ttlMs: Math.min(ttl, LIST_TTL_MS), cacheScope: "private" };
  }

  /** Relays the server's `initialize` result, saying the tool list may change. */
  #initializeAnswer(request: ClientRequest, response: JsonObject, result: JsonObject): JsonObject {
    const version = result.protocolVersion;
    if (typeof version === "string" && !isKnownVersion(version)) {
      this.#options.log.error(`The server chose protocol version "${version.slice(0, 40)}"`);
      return errorResponse(
        request.id,
        ErrorCode.invalidRequest,
        `The MCP server chose protocol version "${version.slice(0, 40)}", which intercept ` +
          `cannot check calls in`,
      );
    }
    this.#initialized = true;
    this.#options.side.learnServerInfo(readClientInfo(result.serverInfo));
    return { ...response, result: withListChanged(result) };
  }

  #discoverAnswer(result: JsonObject): JsonObject {
    const meta = isObject(result._meta) ? result._meta : null;
    this.#options.side.learnServerInfo(readClientInfo(meta?.[META.serverInfo]));
    this.#options.side.learnVersions(result.supportedVersions);
    return withListChanged(result);
  }
}

function progressTokenOf(params: JsonObject): unknown {
  return isObject(params._meta) ? params._meta.progressToken : undefined;
}

/** `capabilities.tools.listChanged: true`: the proxy announces changes it makes itself. */
function withListChanged(result: JsonObject): JsonObject {
  const capabilities = result.capabilities;
  if (!isObject(capabilities) || !isObject(capabilities.tools)) return result;
  if (capabilities.tools.listChanged === true) return result;
  return {
    ...result,
    capabilities: { ...capabilities, tools: { ...capabilities.tools, listChanged: true } },
  };
}

/** The acknowledgement under the client's id; it honours `toolsListChanged` when asked. */
function acknowledged(message: JsonObject, subscription: Subscription): JsonObject {
  const params = message.params as JsonObject;
  const filter = isObject(params.notifications) ? params.notifications : {};
  const out = retagged(message, "params", subscription.request.id);
  if (!subscription.tools || filter.toolsListChanged === true) return out;
  return {
    ...out,
    params: { ...(out.params as JsonObject), notifications: { ...filter, toolsListChanged: true } },
  };
}
