/**
 * Which MCP era the demo's agent speaks (`intercept demo --era`), and how its client is set up
 * for it. Loaded before the client itself, so that the command line is checked at once.
 */

/** MCP's current revision, the one the modern era speaks. */
export const MODERN_VERSION = "2026-07-28";

/**
 * `modern`: the v2 client pinned to 2026-07-28 (`server/discover`, then enveloped requests);
 * `auto`: the v2 client negotiating (modern when the proxy offers it, else legacy);
 * `legacy`: the v2 client on the `initialize` handshake, as clients before 2026-07-28 do.
 */
export type AgentEra = "modern" | "auto" | "legacy";
export const AGENT_ERAS: readonly AgentEra[] = ["modern", "auto", "legacy"];
/** The current revision, which the demo's server and the proxy both speak. */
export const DEFAULT_ERA: AgentEra = "modern";

/** How the splash names `era`: "a simulated agent on LABEL". */
export function eraLabel(era: AgentEra): string {
  if (era === "modern") return `MCP ${MODERN_VERSION}`;
  if (era === "auto") return "the MCP version its client negotiates";
  return "legacy MCP (initialize)";
}

/** The v2 client's `versionNegotiation.mode` for `era`. */
export function negotiationMode(era: AgentEra): "legacy" | "auto" | { pin: string } {
  if (era === "modern") return { pin: MODERN_VERSION };
  return era;
}

/** Parses `--era`'s value; null when it is none of the eras. */
export function parseEra(text: string): AgentEra | null {
  return (AGENT_ERAS as readonly string[]).includes(text) ? text as AgentEra : null;
}
