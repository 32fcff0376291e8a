/**
 * MCP's two protocol eras, per request: legacy (an `initialize` handshake, 2024-11-05 …
 * 2025-11-25) and modern (2026-07-28: every request carries its version, capabilities and
 * client in `params._meta`). What the proxy knows of each, and how it reads the envelope.
 */
import { isObject, type JsonObject } from "./jsonrpc.ts";

export type Era = "legacy" | "modern";

export const MODERN_VERSIONS: readonly string[] = ["2026-07-28"];
export const LEGACY_VERSIONS: readonly string[] = [
  "2025-11-25",
  "2025-06-18",
  "2025-03-26",
  "2024-11-05",
];
/** What a legacy `initialize` asks for when the client named a version the proxy does not know. */
export const LATEST_LEGACY = LEGACY_VERSIONS[0];

export const META = {
  protocolVersion: "io.modelcontextprotocol/protocolVersion",
  clientInfo: "io.modelcontextprotocol/clientInfo",
  clientCapabilities: "io.modelcontextprotocol/clientCapabilities",
  subscriptionId: "io.modelcontextprotocol/subscriptionId",
  serverInfo: "io.modelcontextprotocol/serverInfo",
} as const;

export interface ClientInfo {
  readonly name: string;
  readonly version: string;
}

export function isKnownVersion(version: string): boolean {
  return MODERN_VERSIONS.includes(version) || LEGACY_VERSIONS.includes(version);
}

/** The request's `_meta`, when it has one. */
export function metaOf(params: unknown): JsonObject | null {
  if (!isObject(params)) return null;
  const meta = params._meta;
  return isObject(meta) ? meta : null;
}

/**
 * The protocol version a modern request declares in its `_meta`; null for a legacy request
 * (no declaration). A declaration that is not a string is returned as its JSON text, so that
 * it is refused as an unknown version rather than read as legacy.
 */
export function declaredVersion(params: unknown): string | null {
  const meta = metaOf(params);
  if (!meta || !Object.hasOwn(meta, META.protocolVersion)) return null;
  const version = meta[META.protocolVersion];
  return typeof version === "string" ? version : JSON.stringify(version) ?? "undefined";
}

/** `{name, version}` from a `clientInfo` value, or null when it has no name. */
export function readClientInfo(value: unknown): ClientInfo | null {
  if (!isObject(value) || typeof value.name !== "string") return null;
  return {
    name: value.name.slice(0, 200),
    version: typeof value.version === "string" ? value.version.slice(0, 100) : "",
  };
}

/** The client a modern request names in its `_meta` (display and audit only). */
export function modernClientInfo(params: unknown): ClientInfo | null {
  return readClientInfo(metaOf(params)?.[META.clientInfo]);
}

/**
 * The `_meta` envelope for the proxy's own request on behalf of a modern client: the same
 * version and capabilities, so the upstream serves it in the client's era.
 */
export function envelopeLike(params: unknown, self: ClientInfo): JsonObject | null {
  const meta = metaOf(params);
  if (!meta || typeof meta[META.protocolVersion] !== "string") return null;
  return {
    [META.protocolVersion]: meta[META.protocolVersion],
    [META.clientCapabilities]: isObject(meta[META.clientCapabilities])
      ? meta[META.clientCapabilities]
      : {},
    [META.clientInfo]: { name: self.name, version: self.version },
  };
}

/** A result the proxy makes up, in the request's era: modern results carry `resultType`. */
export function eraResult(era: Era, result: JsonObject): JsonObject {
  return era === "modern" ? { resultType: "complete", ...result } : result;
}
