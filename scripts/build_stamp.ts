/**
 * The build stamp `deno task compile` embeds so that the binary's `--version` names its commit:
 * `src/cli/build_stamp.json`, written before `deno compile`, passed as `--include`, removed
 * after (it is git-ignored, and ignored when running from source).
 *
 * @module
 */
import { shortCommit } from "../src/cli/version.ts";

/** The stamp, relative to the repository root (src/cli/version.ts reads it beside itself). */
export const STAMP_PATH = "src/cli/build_stamp.json";

/** Names the commit where there is no git checkout (a container build). */
export const COMMIT_VARIABLE = "INTERCEPT_BUILD_COMMIT";

export type CommitChoice =
  | { ok: true; commit: string; warning?: string }
  | { ok: false; error: string };

/**
 * The commit to stamp: `$INTERCEPT_BUILD_COMMIT` when set (it must be a commit id), else the
 * checkout's, else "unknown" with a warning.
 */
export function chooseBuildCommit(
  fromEnv: string | undefined,
  fromCheckout: string | undefined,
): CommitChoice {
  if (fromEnv !== undefined && fromEnv !== "") {
    const commit = shortCommit(fromEnv);
    if (!commit) {
      return {
        ok: false,
        error: `${COMMIT_VARIABLE} "${fromEnv}" is not a commit id (7 to 40 hex digits)`,
      };
    }
    return { ok: true, commit };
  }
  if (fromCheckout) return { ok: true, commit: fromCheckout };
  return {
    ok: true,
    commit: "unknown",
    warning: `No git checkout and no ${COMMIT_VARIABLE}: the binary's --version will say ` +
      `"unknown" for its commit`,
  };
}

/** The stamp's text (formatted as `deno fmt` would). */
export function stampText(commit: string): string {
  return JSON.stringify({ commit }, null, 2) + "\n";
}
