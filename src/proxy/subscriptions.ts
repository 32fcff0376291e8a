/**
 * The client's open `subscriptions/listen` streams (modern era). The upstream tags each
 * notification with the id it knows the stream by (the proxy's own); the client must see its
 * own. The proxy adds its own `notifications/tools/list_changed` (live controls, reloads) only
 * to streams that asked for it and were acknowledged.
 */
import type { ClientRequest } from "./client_requests.ts";
import { META } from "./era.ts";
import { isObject, type JsonObject, type JsonRpcId } from "./jsonrpc.ts";

export interface Subscription {
  readonly request: ClientRequest;
  /** The client asked for `toolsListChanged`. */
  readonly tools: boolean;
  /** The upstream acknowledged the stream: notifications may flow on it. */
  acked: boolean;
}

/** Open streams per client at most: each holds an id and a slot upstream. */
export const MAX_SUBSCRIPTIONS = 100;

export class Subscriptions {
  readonly #byUpstream = new Map<number, Subscription>();

  get size(): number {
    return this.#byUpstream.size;
  }

  /** Records a stream once its request went upstream. */
  add(request: ClientRequest, params: unknown): Subscription {
    const filter = isObject(params) ? params.notifications : undefined;
    const subscription: Subscription = {
      request,
      tools: isObject(filter) && filter.toolsListChanged === true,
      acked: false,
    };
    this.#byUpstream.set(request.upstreamId!, subscription);
    return subscription;
  }

  byUpstream(id: unknown): Subscription | undefined {
    return typeof id === "number" ? this.#byUpstream.get(id) : undefined;
  }

  remove(subscription: Subscription): void {
    this.#byUpstream.delete(subscription.request.upstreamId!);
  }

  /** Acknowledged streams that asked for tool list changes. */
  *toolListeners(): Iterable<Subscription> {
    for (const subscription of this.#byUpstream.values()) {
      if (subscription.acked && subscription.tools) yield subscription;
    }
  }
}

/** The subscription id a notification or result carries in its `_meta`, if any. */
export function taggedSubscription(params: unknown): unknown {
  if (!isObject(params) || !isObject(params._meta)) return undefined;
  return params._meta[META.subscriptionId];
}

/** `message` with its `_meta` subscription tag set to `id` (the client's). */
export function retagged(
  message: JsonObject,
  field: "params" | "result",
  id: JsonRpcId,
): JsonObject {
  const body = message[field] as JsonObject;
  return {
    ...message,
    [field]: { ...body, _meta: { ...(body._meta as JsonObject), [META.subscriptionId]: id } },
  };
}

/** `notifications/tools/list_changed` on the stream `id`. */
export function toolsChangedOn(id: JsonRpcId): JsonObject {
  return {
    jsonrpc: "2.0",
    method: "notifications/tools/list_changed",
    params: { _meta: { [META.subscriptionId]: id } },
  };
}
