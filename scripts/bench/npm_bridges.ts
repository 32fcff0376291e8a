/**
 * The two stdio→Streamable HTTP bridges the benchmark compares against, pinned, found through
 * npm's own client (`npm exec`, which installs into npm's cache when asked to) and run with
 * Node directly, so that the process measured is the bridge itself, not npm's wrapper.
 */

export interface BridgeSpec {
  readonly name: "supergateway" | "mcp-proxy";
  readonly version: string;
  /** The package's bin, as `npm exec` puts it on PATH. */
  readonly bin: string;
  /** Arguments after the script: serve Streamable HTTP on 127.0.0.1:`port` in front of `server`. */
  args(port: number, server: readonly string[]): string[];
  /** What the flags choose, for the report. */
  readonly mode: string;
}

export const BRIDGES: readonly BridgeSpec[] = [
  {
    name: "supergateway",
    version: "4.0.0",
    bin: "supergateway",
    // --stateful: one server process per session (spawned through a shell); without it a new
    // server per request. --logLevel none: its default (info) logs every message.
    args: (port, server) => [
      "--stdio",
      server.map(shellQuote).join(" "),
      "--outputTransport",
      "streamableHttp",
      "--stateful",
      "--port",
      String(port),
      "--logLevel",
      "none",
    ],
    mode: "--outputTransport streamableHttp --stateful --logLevel none " +
      "(a server per legacy session, through sh -c; a new server per 2026-07-28 request)",
  },
  {
    name: "mcp-proxy",
    version: "6.7.19",
    bin: "mcp-proxy",
    // Stateful sessions are its default; every session shares the one server it starts.
    args: (port, server) => [
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--server",
      "stream",
      "--",
      ...server,
    ],
    mode: "--server stream, defaults otherwise (stateful sessions, event store on; one server " +
      "shared by every session and 2026-07-28 request)",
  },
];

/** A bridge ready to run: `node script args...`. */
export interface Bridge {
  readonly spec: BridgeSpec;
  readonly script: string;
  args(port: number, server: readonly string[]): string[];
}

export type BridgeChoice = "all" | "cached" | "none";

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The bridge's script, through `npm exec --package=NAME@VERSION` (with `--offline` when only
 * npm's cache may be used), checked to be the pinned version; or why it cannot be used.
 */
export async function resolveBridge(
  spec: BridgeSpec,
  choice: Exclude<BridgeChoice, "none">,
): Promise<Bridge | { skipped: string }> {
  const pinned = `${spec.name}@${spec.version}`;
  const cwd = await Deno.makeTempDir({ prefix: "intercept-bench-npm-" });
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("npm", {
      args: [
        "exec",
        "--yes",
        ...(choice === "cached" ? ["--offline"] : []),
        `--package=${pinned}`,
        "-c",
        `command -v ${spec.bin}`,
      ],
      cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    return { skipped: `${pinned}: cannot run npm (${(error as Error).message})` };
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
  const stdout = new TextDecoder().decode(output.stdout).trim();
  if (!output.success || !stdout) {
    const stderr = new TextDecoder().decode(output.stderr);
    const reason = /ENOTCACHED/.test(stderr)
      ? "not in the npm cache (run once without --bridges cached to fetch it)"
      : `npm exec failed: ${stderr.trim().split("\n").slice(-2).join(" ")}`;
    return { skipped: `${pinned}: ${reason}` };
  }
  const script = await Deno.realPath(stdout.split("\n").at(-1)!);
  const version = await packageVersion(script, spec.name);
  if (version !== spec.version) {
    return { skipped: `${pinned}: npm gave version ${version ?? "unknown"} (${script})` };
  }
  return { spec, script, args: spec.args };
}

/** The version in the package.json of the `name` package that holds `script`. */
async function packageVersion(script: string, name: string): Promise<string | null> {
  const marker = `/node_modules/${name}/`;
  const at = script.lastIndexOf(marker);
  if (at < 0) return null;
  try {
    const json = JSON.parse(
      await Deno.readTextFile(script.slice(0, at + marker.length) + "package.json"),
    );
    return typeof json.version === "string" ? json.version : null;
  } catch {
    return null;
  }
}

/** `node --version`, for the report. */
export async function nodeVersion(): Promise<string> {
  try {
    const output = await new Deno.Command("node", { args: ["--version"], stdout: "piped" })
      .output();
    return new TextDecoder().decode(output.stdout).trim();
  } catch {
    return "not found";
  }
}
