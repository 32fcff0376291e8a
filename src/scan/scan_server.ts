/**
 * Connects to an MCP server as a client (the SDK's own, v2, negotiating the protocol era so
 * that modern-only servers answer too), lists every page of its tools and disconnects. The
 * server is a command started for the scan, or a URL (Streamable HTTP, else the legacy
 * HTTP+SSE transport). A server that cannot start, exits, errs, refuses or hangs ends in a
 * `ScanError`, and a started server is stopped in every case.
 */
import type { ChildProcess } from "node:child_process";
import {
  Client,
  SdkHttpError,
  SSEClientTransport,
  StreamableHTTPClientTransport,
  type Transport,
} from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import denoJson from "../../deno.json" with { type: "json" };
import type { ScannedTool } from "./categorize.ts";
import type { ServerInfo } from "./policy_writer.ts";
import { shownUrl } from "../transports/http_context.ts";
import {
  explainCommand,
  explainUrl,
  type Failure,
  ScanError,
  shownCommand,
  StderrTail,
} from "./scan_errors.ts";

export { ScanError } from "./scan_errors.ts";

export interface ScanOptions {
  /** For the whole scan: start, era negotiation, `initialize` and every `tools/list` page. */
  timeoutMs: number;
  /** The server's environment (default: ours, which Deno servers need: SSL_CERT_FILE, …). */
  env?: Record<string, string>;
  cwd?: string;
}

/** A server at a URL, with the headers (credentials) every request to it carries. */
export interface UrlTarget {
  url: URL;
  headers?: readonly (readonly [string, string])[];
}

/** A command line to start, or a URL. */
export type ScanTarget = readonly string[] | UrlTarget;

export interface ScanResult {
  server: ServerInfo;
  tools: ScannedTool[];
  /** The era the server was spoken to in. */
  era: "legacy" | "modern";
}

/**
 * Some servers list a tool only to clients that can serve it (sampling, elicitation, roots):
 * the scan claims what an agent's client may, so that it sees every tool an agent may.
 */
const AGENT_CAPABILITIES = {
  roots: {},
  sampling: {},
  elicitation: { form: {}, url: {} },
  tasks: { requests: { sampling: { createMessage: {} }, elicitation: { create: {} } } },
};
const MAX_PAGES = 1_000;
const KILL_GRACE_MS = 1_000;

/** Lists every tool of the server `target` names (a command line or a URL). */
export function scanServer(target: ScanTarget, options: ScanOptions): Promise<ScanResult> {
  return isUrlTarget(target) ? scanUrl(target, options) : scanCommand(target, options);
}

function isUrlTarget(target: ScanTarget): target is UrlTarget {
  return !Array.isArray(target);
}

async function scanCommand(command: readonly string[], options: ScanOptions) {
  const [program, ...args] = command;
  const transport = new StdioClientTransport({
    command: program,
    args: [...args],
    env: options.env ?? Deno.env.toObject(),
    cwd: options.cwd,
    stderr: "pipe",
  });
  const stderr = new StderrTail(transport.stderr);
  let child: ChildProcess | undefined;
  const start = transport.start.bind(transport);
  transport.start = async () => {
    await start();
    // The SDK keeps its child private; its exit code is what makes "it exited" clear.
    child = (transport as unknown as { _process?: ChildProcess })._process;
  };
  const failure: Failure = { step: "initialize", aborted: false };
  try {
    return await listTools(transport, options, failure, `The server "${shownCommand(command)}"`);
  } catch (error) {
    if (error instanceof ScanError) throw error;
    throw explainCommand(error as Error, { command, child, failure, options, stderr });
  } finally {
    if (failure.aborted) stop(child);
  }
}

async function scanUrl(target: UrlTarget, options: ScanOptions) {
  const requestInit: RequestInit = {
    headers: Object.fromEntries(target.headers ?? []),
    redirect: "manual", // credentials go only where the operator pointed them
  };
  const failure: Failure = { step: "initialize", aborted: false };
  try {
    return await listTools(
      new StreamableHTTPClientTransport(target.url, { requestInit }),
      options,
      failure,
      `The server at ${shownUrl(target.url)}`,
    );
  } catch (error) {
    if (error instanceof ScanError) throw error;
    const status = error instanceof SdkHttpError ? error.status : 0;
    // The 2025-03-26 rule: a POST refused so may be a legacy HTTP+SSE server.
    if (failure.step !== "initialize" || ![400, 404, 405].includes(status)) {
      throw explainUrl(error as Error, target.url, failure, options);
    }
  }
  const sse: Failure = { step: "initialize", aborted: false };
  try {
    const transport = new SSEClientTransport(target.url, { requestInit });
    return await listTools(transport, options, sse, `The server at ${shownUrl(target.url)}`);
  } catch (error) {
    if (error instanceof ScanError) throw error;
    throw explainUrl(error as Error, target.url, sse, options);
  }
}

/** Connects over `transport`, lists every page, closes; `failure` says how far it got. */
async function listTools(
  transport: Transport,
  options: ScanOptions,
  failure: Failure,
  who: string,
): Promise<ScanResult> {
  const client = new Client({ name: "intercept-scan", version: denoJson.version }, {
    capabilities: AGENT_CAPABILITIES,
    versionNegotiation: { mode: "auto" },
  });
  client.setRequestHandler("roots/list", () => ({ roots: [] }));
  const abort = new AbortController();
  const timer = setTimeout(() => {
    failure.aborted = true;
    abort.abort();
  }, options.timeoutMs);
  const request = { signal: abort.signal, timeout: options.timeoutMs };
  try {
    await client.connect(transport, request);
    const info = client.getServerVersion();
    const server = { name: info?.name ?? "unknown", version: info?.version ?? "unknown" };
    if (!client.getServerCapabilities()?.tools) {
      throw new ScanError(`${who} offers no tools (no "tools" capability)`);
    }
    const tools: ScannedTool[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let page = 1;; page++) {
      failure.step = page === 1 ? "tools/list" : `tools/list (page ${page})`;
      const params = cursor === undefined ? {} : { cursor };
      const result = await client.request({ method: "tools/list", params }, request);
      for (const tool of result.tools) {
        if (seen.has(tool.name)) continue;
        seen.add(tool.name);
        tools.push(tool as ScannedTool);
      }
      cursor = result.nextCursor;
      if (cursor === undefined) break;
      if (page >= MAX_PAGES) {
        throw new ScanError(`${who} sent more than ${MAX_PAGES} tools/list pages`);
      }
    }
    const era = client.getProtocolEra() === "modern" ? "modern" : "legacy";
    return { server, tools, era };
  } finally {
    clearTimeout(timer);
    await client.close().catch(() => {});
  }
}

/** SIGTERM now, SIGKILL if it is still there after a grace period. */
function stop(child: ChildProcess | undefined): void {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }, KILL_GRACE_MS);
  child.once("exit", () => clearTimeout(timer));
}
