/**
 * One upstream connection as the proxy holds it: the link (the proxy's own ids), the tool
 * schemas learnt from it, what it said of itself, and where the messages it sends on its own go.
 * A stdio session or a legacy HTTP session has the upstream to itself (everything goes to its
 * one client); a pool process serves many modern requests at once (a message goes to the client
 * whose stream or request it names, and nowhere else).
 */
import type { LineChannel } from "../transports/stdio.ts";
import {
  type ClientInfo,
  isKnownVersion,
  LEGACY_VERSIONS,
  META,
  metaOf,
  MODERN_VERSIONS,
  readClientInfo,
} from "./era.ts";
import { ErrorCode, isObject, type JsonObject, type JsonRpcId } from "./jsonrpc.ts";
import { taggedSubscription } from "./subscriptions.ts";
import { ToolSchemas } from "./tool_schemas.ts";
import { type ProxyLogger, UpstreamLink } from "./upstream_link.ts";
import { QUESTION_ID_PREFIX } from "./client_questions.ts";

/** Where a message the upstream sent on its own goes. */
export interface ClientRoute {
  deliver(message: JsonObject, line: string): void;
}

export interface UpstreamSideOptions {
  channel: LineChannel;
  log: ProxyLogger;
  /** How long the proxy waits, in all, for its own requests (the tools/list of a schema fetch). */
  upstreamTimeoutMs?: number;
  /** Many clients share the upstream: progress tokens are the proxy's own too. */
  shared?: boolean;
}

/** Progress streams of a shared upstream at once, at most (one per request in flight). */
const MAX_PROGRESS_ROUTES = 100_000;

export class UpstreamSide {
  readonly link: UpstreamLink;
  readonly schemas: ToolSchemas;
  readonly shared: boolean;
  readonly #log: ProxyLogger;
  /** The client of a session that has the upstream to itself. */
  defaultClient: ClientRoute | null = null;
  /** `subscriptions/listen` streams by the proxy's id for them. */
  readonly #streams = new Map<number, ClientRoute>();
  /** Shared upstreams: the proxy's progress tokens → the client's token and route. */
  readonly #progress = new Map<string, { token: JsonRpcId; route: ClientRoute }>();
  #nextToken = 1;
  #dropped = 0;
  #serverInfo: ClientInfo | null = null;
  #versions: string[] | null = null;
  readonly #timeoutMs: number;
  /** Whether the upstream serves 2026-07-28 requests, once asked (null: not asked, or no verdict). */
  #servesModern: Promise<boolean | null> | null = null;

  constructor(options: UpstreamSideOptions) {
    this.#log = options.log;
    this.shared = options.shared ?? false;
    const timeoutMs = this.#timeoutMs = options.upstreamTimeoutMs ?? 10_000;
    this.link = new UpstreamLink({
      channel: options.channel,
      log: options.log,
      onMessage: (message, line) => this.#fromUpstream(message, line),
    });
    this.schemas = new ToolSchemas(
      (params) => this.link.request("tools/list", params, timeoutMs),
      { budgetMs: timeoutMs },
    );
  }

  /** The server's name and version, from its `initialize` or `server/discover` answer. */
  get serverInfo(): ClientInfo | null {
    return this.#serverInfo;
  }

  learnServerInfo(info: ClientInfo | null): void {
    if (info) this.#serverInfo = info;
  }

  learnVersions(versions: unknown): void {
    if (Array.isArray(versions)) this.#versions = versions.filter((v) => typeof v === "string");
  }

  /** The versions both the proxy and the upstream (when it said) support. */
  supportedVersions(): string[] {
    if (!this.#versions) return [...MODERN_VERSIONS];
    return this.#versions.filter(isKnownVersion);
  }

  /**
   * Whether the upstream serves 2026-07-28 requests: asked once, with a `server/discover` of the
   * proxy's own (which pins no era), then known. A server that answers it with anything but a
   * DiscoverResult naming a version the proxy speaks speaks only the initialize-based versions
   * (and `supportedVersions()` says so). Null while it cannot be told (no answer, an internal
   * error): it is asked again next time.
   */
  servesModern(self: ClientInfo): Promise<boolean | null> {
    if (this.#servesModern) return this.#servesModern;
    const asked = this.#servesModern = this.#askEra(self).then((verdict) => {
      if (verdict === null && this.#servesModern === asked) this.#servesModern = null;
      return verdict;
    });
    return asked;
  }

  #askEra(self: ClientInfo): Promise<boolean | null> {
    if (this.link.ended !== null) return Promise.resolve(null);
    const params = {
      _meta: {
        [META.protocolVersion]: MODERN_VERSIONS[0],
        [META.clientCapabilities]: {},
        [META.clientInfo]: { name: self.name, version: self.version },
      },
    };
    return new Promise((resolve) => {
      const id = this.link.forward({ jsonrpc: "2.0", method: "server/discover", params }, {
        answered: (response) => {
          clearTimeout(timer);
          resolve(this.#learnEra(response));
        },
        failed: () => {
          clearTimeout(timer);
          resolve(null);
        },
      });
      const timer = setTimeout(() => {
        this.link.cancel(id, { reason: "timed out" });
        resolve(null);
      }, this.#timeoutMs);
    });
  }

  #learnEra(response: JsonObject): boolean | null {
    const verdict = eraVerdict(response);
    if (verdict === true) {
      const result = response.result as JsonObject;
      this.learnVersions(result.supportedVersions);
      this.learnServerInfo(readClientInfo(metaOf(result)?.[META.serverInfo]));
    }
    if (verdict === false) this.#versions = [...LEGACY_VERSIONS];
    return verdict;
  }

  /** A client's `subscriptions/listen` stream, known upstream by `upstreamId`. */
  openStream(upstreamId: number, route: ClientRoute): void {
    this.#streams.set(upstreamId, route);
  }

  closeStream(upstreamId: number): void {
    this.#streams.delete(upstreamId);
  }

  /**
   * On a shared upstream, gives a request's progress token one of the proxy's own (clients may
   * pick the same tokens) and returns it, to be closed when the request ends; else null.
   */
  openProgress(params: JsonObject, route: ClientRoute): string | null {
    if (!this.shared) return null;
    const meta = params._meta;
    if (!isObject(meta) || !Object.hasOwn(meta, "progressToken")) return null;
    const token = meta.progressToken;
    if (typeof token !== "string" && typeof token !== "number") return null;
    if (this.#progress.size >= MAX_PROGRESS_ROUTES) return null;
    const own = `intercept-progress-${this.#nextToken++}`;
    this.#progress.set(own, { token, route });
    params._meta = { ...meta, progressToken: own };
    return own;
  }

  closeProgress(own: string | null): void {
    if (own !== null) this.#progress.delete(own);
  }

  #fromUpstream(message: JsonObject, line: string): void {
    const method = message.method;
    if (typeof message.id === "string" && message.id.startsWith(QUESTION_ID_PREFIX)) {
      // The client's answer would be taken for the proxy's own (an approval): refused.
      this.#log.warn(
        `Refused a ${String(method).slice(0, 60)} request of the upstream: its id is reserved`,
      );
      if (this.link.ended === null) {
        this.link.answerServer(
          message.id,
          `Request ids starting "${QUESTION_ID_PREFIX}" are reserved by the proxy`,
        );
      }
      return;
    }
    if (method === "notifications/tools/list_changed") this.schemas.invalidate();
    const tagged = taggedSubscription(message.params);
    const stream = typeof tagged === "number" ? this.#streams.get(tagged) : undefined;
    if (stream) return stream.deliver(message, line);
    if (method === "notifications/cancelled" && isObject(message.params)) {
      const ended = message.params.requestId;
      const owner = typeof ended === "number" ? this.#streams.get(ended) : undefined;
      if (owner) return owner.deliver(message, line);
    }
    if (!this.shared && this.defaultClient) return this.defaultClient.deliver(message, line);
    this.#unrouted(message);
  }

  /** A pool process: only what names a request or stream of a client goes anywhere. */
  #unrouted(message: JsonObject): void {
    const params = message.params;
    if (message.method === "notifications/progress" && isObject(params)) {
      const progress = this.#progress.get(String(params.progressToken));
      if (progress) {
        const restored = { ...message, params: { ...params, progressToken: progress.token } };
        return progress.route.deliver(restored, JSON.stringify(restored));
      }
    }
    if (Object.hasOwn(message, "id") && this.link.ended === null) {
      // A request with nobody to ask: answered, so the server does not wait for good.
      this.link.answerServer(message.id, "No client can answer this request");
    }
    if (++this.#dropped <= 10 || this.#dropped % 1_000 === 0) {
      this.#log.warn(
        `Dropped a ${String(message.method).slice(0, 60)} message from the upstream: it names ` +
          `no request or stream of a client (${this.#dropped} so far)`,
      );
    }
  }
}

/**
 * What the upstream's answer to the proxy's `server/discover` says: true for a DiscoverResult
 * naming a version the proxy speaks, false for any other answer (the -32601 of a server that
 * predates 2026-07-28), null for an internal error (not a verdict).
 */
export function eraVerdict(response: JsonObject): boolean | null {
  if (isObject(response.result)) {
    const versions = response.result.supportedVersions;
    return Array.isArray(versions) && versions.some((version) => MODERN_VERSIONS.includes(version));
  }
  const error = isObject(response.error) ? response.error : null;
  return error?.code === ErrorCode.internalError ? null : false;
}
