/**
 * `intercept --listen` for the end-to-end tests: started through the seam (so a release
 * binary runs the same tests), on a free port, its URL read from its log.
 */
import { childEnv, ROOT } from "./helpers.ts";
import { interceptCommand } from "./intercept_command.ts";

export interface HttpProxy {
  /** The MCP endpoint, `http://127.0.0.1:PORT/mcp`. */
  readonly url: string;
  /** The base, `http://127.0.0.1:PORT`. */
  readonly base: string;
  readonly child: Deno.ChildProcess;
  /** Everything it logged so far. */
  stderr(): string;
  /** SIGTERM, then the exit status. */
  stop(): Promise<Deno.CommandStatus>;
}

/**
 * Starts `intercept -c POLICY --listen 127.0.0.1:0 FLAGS... -- UPSTREAM...`, or with
 * `--upstream URL` when `upstream` is a URL (no `--` when it is empty: the flags name it).
 */
export async function startHttpProxy(
  policy: string,
  upstream: readonly string[] | string,
  flags: string[] = [],
): Promise<HttpProxy> {
  const listen = flags.includes("--listen") ? [] : ["--listen", "127.0.0.1:0"];
  const control = flags.includes("--control") ? [] : ["--no-control"];
  const { command, args } = interceptCommand([
    "-c",
    policy,
    ...listen,
    ...control,
    ...flags,
    ...(typeof upstream === "string"
      ? ["--upstream", upstream]
      : upstream.length > 0
      ? ["--", ...upstream]
      : []),
  ]);
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    env: childEnv(),
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const { promise: listening, resolve: found, reject: failed } = Promise.withResolvers<string>();
  const reading = (async () => {
    for await (const chunk of child.stderr) {
      text += decoder.decode(chunk, { stream: true });
      const match = /Serving MCP at (http:\/\/\S+\/mcp)/.exec(text);
      if (match) found(match[1]);
    }
    failed(new Error(`intercept --listen ended before it listened:\n${text}`));
  })();
  const timer = setTimeout(
    () => failed(new Error(`intercept --listen did not listen:\n${text}`)),
    30_000,
  );
  let url: string;
  try {
    url = await listening;
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
    await reading;
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    url,
    base: url.replace(/\/mcp$/, ""),
    child,
    stderr: () => text,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      const status = await child.status;
      await reading;
      return status;
    },
  };
}

/** Headers of a 2026-07-28 POST for `message`, as a conforming client sends them. */
export function modernHeaders(message: Record<string, unknown>): Record<string, string> {
  const params = (message.params ?? {}) as Record<string, unknown>;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": "2026-07-28",
    "mcp-method": String(message.method),
  };
  const name = message.method === "resources/read" ? params.uri : params.name;
  if (typeof name === "string") headers["mcp-name"] = name;
  return headers;
}
