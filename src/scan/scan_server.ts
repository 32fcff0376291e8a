/**
 * Connects to an MCP server as a client (the SDK's own), lists every page of its tools and
 * disconnects. A server that cannot start, exits, errs or hangs ends in a `ScanError`, and the
 * child is stopped in every case.
 */
import type { ChildProcess } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ListRootsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import denoJson from "../../deno.json" with { type: "json" };
import type { ScannedTool } from "./categorize.ts";
import type { ServerInfo } from "./policy_writer.ts";

export interface ScanOptions {
  /** For the whole scan: start, `initialize` and every `tools/list` page. */
  timeoutMs: number;
  /** The server's environment (default: ours, which Deno servers need: SSL_CERT_FILE, …). */
  env?: Record<string, string>;
  cwd?: string;
}

export interface ScanResult {
  server: ServerInfo;
  tools: ScannedTool[];
}

export class ScanError extends Error {
  override name = "ScanError";
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
const STDERR_TAIL_BYTES = 4_096;
const KILL_GRACE_MS = 1_000;

export async function scanServer(
  command: readonly string[],
  options: ScanOptions,
): Promise<ScanResult> {
  const [program, ...args] = command;
  const shown = command.map(shellWord).join(" ");
  const transport = new StdioClientTransport({
    command: program,
    args,
    env: options.env ?? Deno.env.toObject(),
    cwd: options.cwd,
    stderr: "pipe",
  });
  const stderr = new StderrTail(transport);
  const client = new Client({ name: "intercept-scan", version: denoJson.version }, {
    capabilities: AGENT_CAPABILITIES,
  });
  client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [] }));
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.timeoutMs);
  const request = { signal: abort.signal, timeout: options.timeoutMs };
  let step = "initialize";
  let child: ChildProcess | undefined;
  const start = transport.start.bind(transport);
  transport.start = async () => {
    await start();
    // The SDK keeps its child private; its exit code is what makes "it exited" clear.
    child = (transport as unknown as { _process?: ChildProcess })._process;
  };
  try {
    await client.connect(transport, request);
    const info = client.getServerVersion();
    const server = { name: info?.name ?? "unknown", version: info?.version ?? "unknown" };
    if (!client.getServerCapabilities()?.tools) {
      throw new ScanError(`The server "${shown}" offers no tools (no "tools" capability)`);
    }
    const tools: ScannedTool[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let page = 1;; page++) {
      step = page === 1 ? "tools/list" : `tools/list (page ${page})`;
      const result = await client.listTools(cursor === undefined ? {} : { cursor }, request);
      for (const tool of result.tools) {
        if (seen.has(tool.name)) continue;
        seen.add(tool.name);
        tools.push(tool);
      }
      cursor = result.nextCursor;
      if (cursor === undefined) break;
      if (page >= MAX_PAGES) {
        throw new ScanError(`The server "${shown}" sent more than ${MAX_PAGES} tools/list pages`);
      }
    }
    return { server, tools };
  } catch (error) {
    if (error instanceof ScanError) throw error;
    throw explain(error as Error, { shown, step, child, abort, options, stderr });
  } finally {
    clearTimeout(timer);
    if (abort.signal.aborted) stop(child);
    await client.close().catch(() => {});
  }
}

interface FailureContext {
  shown: string;
  step: string;
  child: ChildProcess | undefined;
  abort: AbortController;
  options: ScanOptions;
  stderr: StderrTail;
}

function explain(error: Error, context: FailureContext): ScanError {
  const { shown, step, child } = context;
  if ((error as { code?: unknown }).code === "ENOENT" && !child) {
    return new ScanError(`Cannot start the server "${shown}": command not found`);
  }
  if (!child) return new ScanError(`Cannot start the server "${shown}": ${error.message}`);
  let message: string;
  if (child.exitCode !== null || child.signalCode !== null) {
    const how = child.exitCode !== null
      ? `exited with code ${child.exitCode}`
      : `was ended by ${child.signalCode}`;
    message = `The server "${shown}" ${how} before it answered ${step}`;
  } else if (context.abort.signal.aborted) {
    message = `The server "${shown}" did not answer ${step} within ` +
      `${context.options.timeoutMs} ms (--timeout-ms); it was stopped`;
  } else {
    message = `The server "${shown}" failed ${step}: ${error.message}`;
  }
  const tail = context.stderr.text().trimEnd();
  if (tail) message += `\nIts last output on stderr:\n${indent(tail)}`;
  return new ScanError(message);
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

/** An argument as a shell would need it, for messages. */
function shellWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

function indent(text: string): string {
  return text.split("\n").map((line) => `  ${line}`).join("\n");
}

/** The last few KiB the server wrote to stderr, for error messages. */
class StderrTail {
  #text = "";
  constructor(transport: StdioClientTransport) {
    transport.stderr?.on("data", (chunk: Uint8Array | string) => {
      this.#text += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
      if (this.#text.length > STDERR_TAIL_BYTES) this.#text = this.#text.slice(-STDERR_TAIL_BYTES);
    });
  }

  text(): string {
    return this.#text;
  }
}
