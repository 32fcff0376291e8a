/**
 * What `intercept --version` prints: `intercept 0.1.0 (abc1234)`. The version comes from
 * deno.json (imported, so a compiled binary carries it); the commit from the build stamp that
 * `deno task compile` writes and embeds, or, run from source, from git (else "source").
 */
import denoJson from "../../deno.json" with { type: "json" };

/** The stamp `deno task compile` writes beside this module and embeds (`--include`). */
export const BUILD_STAMP_URL = new URL("./build_stamp.json", import.meta.url);

const REPO_ROOT = new URL("../../", import.meta.url);
const COMMIT = /^[0-9a-f]{7,40}$/;
const SHORT_COMMIT_LENGTH = 7;

/** Where the commit can come from; each has a production default. */
export interface CommitSources {
  /** True in a `deno compile`d binary. */
  standalone: boolean;
  /** The build stamp's text, or undefined when there is none. */
  readStamp: () => string | undefined;
  /** The checkout's commit, or undefined outside a git checkout of this repository. */
  gitCommit: () => string | undefined;
}

/** `intercept VERSION (COMMIT)`. */
export function versionLine(version: string, commit: string): string {
  return `intercept ${version} (${commit})`;
}

/** A commit id shortened to 7 hex digits; undefined when `text` is not one. */
export function shortCommit(text: string | undefined): string | undefined {
  const commit = text?.trim().toLowerCase();
  return commit && COMMIT.test(commit) ? commit.slice(0, SHORT_COMMIT_LENGTH) : undefined;
}

/**
 * The commit to show: a binary shows its stamp ("unknown" without one, as a plain
 * `deno compile` makes); from source, the checkout's commit, else "source". A stamp left in
 * the source tree by an interrupted compile is ignored there.
 */
export function resolveCommit(sources: CommitSources): string {
  if (!sources.standalone) return sources.gitCommit() ?? "source";
  const stamp = sources.readStamp();
  if (stamp === undefined) return "unknown";
  try {
    const parsed = JSON.parse(stamp) as { commit?: unknown };
    return shortCommit(typeof parsed.commit === "string" ? parsed.commit : undefined) ??
      "unknown";
  } catch {
    return "unknown";
  }
}

function readStamp(): string | undefined {
  try {
    return Deno.readTextFileSync(BUILD_STAMP_URL);
  } catch {
    return undefined;
  }
}

/** HEAD of the git checkout that holds this file (short), when its top level is this repository. */
export function checkoutCommit(): string | undefined {
  try {
    const root = Deno.realPathSync(REPO_ROOT);
    const output = new Deno.Command("git", {
      args: ["rev-parse", "--show-toplevel", "HEAD"],
      cwd: root,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    if (!output.success) return undefined;
    const [toplevel, head] = new TextDecoder().decode(output.stdout).trim().split("\n");
    if (Deno.realPathSync(toplevel) !== root) return undefined; // a checkout around a copy
    return shortCommit(head);
  } catch {
    return undefined; // no git, or no checkout
  }
}

/** The line `intercept --version` prints here. */
export function currentVersionLine(): string {
  const commit = resolveCommit({
    standalone: Deno.build.standalone,
    readStamp,
    gitCommit: checkoutCommit,
  });
  return versionLine(denoJson.version, commit);
}
