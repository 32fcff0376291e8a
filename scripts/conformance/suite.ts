/**
 * Runs the MCP conformance suite (`@modelcontextprotocol/conformance`, pinned in deno.json) as a
 * client against a server's URL, and reads back every check it wrote (`checks.json` per
 * scenario). The suite's exit code says only whether some check failed; the checks say which.
 */
import type { Check } from "./compare.ts";

export interface SuiteOptions {
  /** The suite to run (`all`, `active`, `draft`, `pending`); default `all`. */
  suite?: string;
  /** Run these scenarios, one by one, instead of a suite. */
  scenarios?: readonly string[];
  /** The whole run is given up after this long (default 10 minutes). */
  timeoutMs?: number;
}

export interface SuiteRun {
  checks: Check[];
  seconds: number;
  /** What the suite printed, for when something went wrong. */
  log: string;
}

const ROOT = new URL("../../", import.meta.url).pathname;
/** The import-map name deno.json pins the suite under. */
export const SUITE_PACKAGE = "@modelcontextprotocol/conformance";
const DEFAULT_TIMEOUT_MS = 600_000;

/** `server-<scenario>-<timestamp>`, the folder the suite writes a scenario's results to. */
const RESULT_FOLDER = /^server-(.+)-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)$/;

export async function runSuite(url: string, options: SuiteOptions = {}): Promise<SuiteRun> {
  const started = performance.now();
  const out = await Deno.makeTempDir({ prefix: "intercept-conformance-" });
  const signal = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  let log = "";
  try {
    const runs = options.scenarios?.length
      ? options.scenarios.map((scenario) => ["--scenario", scenario])
      : [["--suite", options.suite ?? "all"]];
    for (const selection of runs) {
      log += await runOnce(["server", "--url", url, ...selection, "-o", out], signal);
    }
    const checks = await readChecks(out, log);
    if (checks.length === 0) {
      throw new Error(`The conformance suite reported no checks against ${url}:\n${tail(log)}`);
    }
    return { checks, seconds: (performance.now() - started) / 1000, log };
  } finally {
    await Deno.remove(out, { recursive: true }).catch(() => {});
  }
}

async function runOnce(args: string[], signal: AbortSignal): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SUITE_PACKAGE, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal,
  }).output();
  const decoder = new TextDecoder();
  const text = decoder.decode(output.stdout) + decoder.decode(output.stderr);
  if (signal.aborted) {
    throw new Error(`The conformance suite did not finish in time:\n${tail(text)}`);
  }
  // 0: every check passed; 1: some failed. Anything else is the suite failing to run.
  if (output.code !== 0 && output.code !== 1) {
    throw new Error(`The conformance suite exited with ${output.code}:\n${tail(text)}`);
  }
  return text;
}

/** The check that stands for a scenario the suite could not run to its end (it wrote none). */
export const NOT_RUN = "(scenario failed to run)";

/**
 * Every check the suite wrote under `folder`, with its scenario; a scenario that failed to run
 * (its folder is empty) counts as one failed check, with the reason from the suite's `log`.
 */
export async function readChecks(folder: string, log = ""): Promise<Check[]> {
  const entries: { name: string; scenario: string; at: string }[] = [];
  for await (const entry of Deno.readDir(folder)) {
    const match = entry.isDirectory ? RESULT_FOLDER.exec(entry.name) : null;
    if (match) entries.push({ name: entry.name, scenario: match[1], at: match[2] });
  }
  // In the order the suite ran them.
  entries.sort((a, b) => a.at < b.at ? -1 : a.at > b.at ? 1 : 0);
  const checks: Check[] = [];
  for (const { name, scenario } of entries) {
    const file = `${folder}/${name}/checks.json`;
    const text = await Deno.readTextFile(file).catch((error) => {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    });
    if (text === null) {
      checks.push({
        scenario,
        id: NOT_RUN,
        status: "FAILURE",
        errorMessage: whyNotRun(scenario, log),
      });
      continue;
    }
    const parsed = JSON.parse(text);
    if (!Array.isArray(parsed)) {
      throw new Error(`${file} is not an array of checks`);
    }
    for (const check of parsed) {
      checks.push({
        scenario,
        id: String(check.id),
        status: String(check.status),
        ...(typeof check.errorMessage === "string" ? { errorMessage: check.errorMessage } : {}),
      });
    }
  }
  return checks;
}

function whyNotRun(scenario: string, log: string): string {
  const prefix = `Failed to run scenario ${scenario}: `;
  const line = log.split("\n").find((text) => text.startsWith(prefix));
  return line ? line.slice(prefix.length) : "the suite wrote no checks for it";
}

function tail(text: string): string {
  return text.split("\n").slice(-40).join("\n");
}
