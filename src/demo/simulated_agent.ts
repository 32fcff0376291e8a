/**
 * The demo's agent: a real MCP client (`@modelcontextprotocol/client` 2.4.0, on the era asked
 * for) on the proxy's stdio (`proxy_child.ts`: the demo spawns the proxy before this module
 * loads) that runs the agent script against it at a pace a person can follow, reporting every
 * call and what the proxy decided.
 */
import { Client } from "@modelcontextprotocol/client";
import denoJson from "../../deno.json" with { type: "json" };
import { DENIAL_PREFIX } from "../proxy/denial.ts";
import { type AgentEra, DEFAULT_ERA, negotiationMode } from "./agent_era.ts";
import { agentScript, type ScriptCall } from "./agent_script.ts";
import { ProxyChild } from "./proxy_child.ts";

export interface AgentCall {
  /** When the call was sent (ms since the epoch). */
  ts: number;
  tool: string;
  args: Record<string, unknown>;
  /** False when the proxy denied the call (the server never saw it). */
  allowed: boolean;
  /** The server answered, with an error result (an unknown topic, ...). */
  isError: boolean;
  /** The result's text; for a denial, without the "[INTERCEPT POLICY DENIED]" prefix. */
  text: string;
  /** The rule that denied the call; null when allowed. */
  rule: string | null;
  latencyMs: number;
}

/** The era the agent's connection runs in, as its client negotiated it. */
export interface AgentLink {
  era: "legacy" | "modern";
  /** The protocol version agreed on ("2026-07-28", "2025-11-25", ...). */
  protocolVersion: string;
}

export interface AgentOptions {
  /** The era the agent's client speaks (default: modern). */
  era?: AgentEra;
  /** Connected, before the first call: on which era. */
  onConnected?: (link: AgentLink) => void;
  /** Between calls (default 500: two calls a second). */
  paceMs?: number;
  /** Between the calls of a burst (default a tenth of the pace, at most 50). */
  burstPaceMs?: number;
  /** Passes through the script (default: until aborted). */
  passes?: number;
  signal?: AbortSignal;
  onCall?: (call: AgentCall) => void;
  /** A step starts, or something else worth a line: "Agent sees 7 tools: ...". */
  onNote?: (text: string) => void;
  /** Added to the proxy's environment, when the agent spawns it. */
  env?: Record<string, string>;
  cwd?: string;
  /** How long one call may take (default 10 s); a call held for a human takes longer. */
  callTimeoutMs?: number;
}

export interface AgentResult {
  passes: number;
  calls: number;
  /** Null when the agent was stopped before it connected. */
  link: AgentLink | null;
}

/** The proxy could not start, or ended while the agent was still running. */
export class AgentError extends Error {
  override name = "AgentError";
}

/**
 * Runs the script through the proxy: `proxy`, already spawned (the demo spawns it before this
 * module loads), or a command to spawn. Closes the proxy and resolves when all is done.
 */
export async function runSimulatedAgent(
  proxy: ProxyChild | readonly string[],
  options: AgentOptions = {},
): Promise<AgentResult> {
  const paceMs = options.paceMs ?? 500;
  const burstPaceMs = options.burstPaceMs ?? Math.min(50, Math.floor(paceMs / 10));
  const signal = options.signal ?? new AbortController().signal;
  const child = proxy instanceof ProxyChild
    ? proxy
    : ProxyChild.spawn(proxy, { env: options.env, cwd: options.cwd });
  const failure = (what: string) => {
    const stderr = child.stderr.trim();
    return new AgentError(stderr ? `${what}:\n${child.stderr.trimEnd()}` : what);
  };

  const result: AgentResult = { passes: 0, calls: 0, link: null };
  if (signal.aborted) {
    await child.close();
    return result;
  }
  const client = new Client({ name: "intercept-demo-agent", version: denoJson.version }, {
    versionNegotiation: { mode: negotiationMode(options.era ?? DEFAULT_ERA) },
  });
  let closed = false;
  client.onclose = () => closed = true;
  try {
    try {
      await client.connect(child.transport());
    } catch (error) {
      throw failure(`The proxy did not start (${(error as Error).message})`);
    }
    result.link = {
      era: client.getProtocolEra() === "modern" ? "modern" : "legacy",
      protocolVersion: client.getNegotiatedProtocolVersion() ?? "unknown",
    };
    options.onConnected?.(result.link);
    const { tools } = await client.listTools();
    const names = tools.map((tool: { name: string }) => tool.name);
    options.onNote?.(`Agent sees ${names.length} tools: ${names.join(", ")}`);
    const passes = options.passes ?? Infinity;
    for (let pass = 0; pass < passes && !signal.aborted; pass++) {
      for (const step of agentScript(pass)) {
        if (signal.aborted) break;
        options.onNote?.(step.label);
        for (const [i, call] of step.calls.entries()) {
          if (i > 0) await pause(step.burst ? burstPaceMs : paceMs, signal);
          if (signal.aborted) break;
          const outcome = await callTool(client, call, options.callTimeoutMs ?? 10_000, signal);
          result.calls++;
          options.onCall?.(outcome);
        }
        await pause(paceMs, signal);
      }
      if (!signal.aborted) result.passes++;
    }
  } catch (error) {
    if (signal.aborted) return result;
    if (error instanceof AgentError) throw error;
    const what = closed ? "The proxy ended while the agent was running" : "The agent failed";
    throw failure(`${what} (${(error as Error).message})`);
  } finally {
    await client.close();
    await child.close();
  }
  return result;
}

async function callTool(
  client: Client,
  call: ScriptCall,
  timeout: number,
  signal: AbortSignal,
): Promise<AgentCall> {
  const ts = Date.now();
  const started = performance.now();
  // Stopping cancels a call in flight: one held for a human is withdrawn, not waited out.
  const result = await client.callTool({ name: call.tool, arguments: call.args }, {
    timeout,
    signal,
  });
  const latencyMs = performance.now() - started;
  const content: unknown[] = Array.isArray(result.content) ? result.content : [];
  const text = content
    .filter((c): c is { type: "text"; text: string } => (c as { type?: unknown })?.type === "text")
    .map((c) => c.text)
    .join("\n");
  const denied = result.isError === true && text.startsWith(DENIAL_PREFIX);
  const meta = result._meta?.["intercept/decision"] as { rule?: unknown } | undefined;
  return {
    ts,
    tool: call.tool,
    args: call.args,
    allowed: !denied,
    isError: result.isError === true && !denied,
    text: denied ? text.slice(DENIAL_PREFIX.length).trimStart() : text,
    rule: denied ? String(meta?.rule ?? "") : null,
    latencyMs,
  };
}

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
