/**
 * Sorts a server's tools by risk: the tool's own annotations first (`readOnlyHint`,
 * `destructiveHint`), its name second.
 */

export type Category = "read" | "write" | "execute" | "destructive";

/** What `intercept scan` needs of one `tools/list` entry. */
export interface ScannedTool {
  readonly name: string;
  readonly description?: string;
  readonly inputSchema?: unknown;
  readonly annotations?: {
    readonly readOnlyHint?: boolean;
    readonly destructiveHint?: boolean;
  };
}

const DESTRUCTIVE_WORDS = new Set([
  "delete",
  "drop",
  "remove",
  "destroy",
  "purge",
  "truncate",
  "wipe",
  "erase",
  "rm",
  "kill",
  "terminate",
]);
const EXECUTE_WORDS = new Set([
  "execute",
  "exec",
  "run",
  "eval",
  "query",
  "shell",
  "command",
  "sql",
]);
const READ_WORDS = new Set([
  "get",
  "list",
  "read",
  "search",
  "describe",
  "show",
  "fetch",
  "find",
  "lookup",
  "view",
  "inspect",
  "browse",
  "stat",
  "count",
]);

/**
 * The tool's category. An explicit annotation wins: `readOnlyHint: true` is read,
 * `destructiveHint: true` is destructive, and `destructiveHint: false` rules out a
 * destructive name. MCP's implied default (`destructiveHint` true when not read-only) is not
 * applied: most servers leave it unset, and denying every such tool would deny nearly all.
 */
export function categorize(tool: ScannedTool): Category {
  const { readOnlyHint, destructiveHint } = tool.annotations ?? {};
  if (readOnlyHint === true) return "read";
  if (destructiveHint === true) return "destructive";
  const words = nameWords(tool.name);
  if (destructiveHint !== false && words.some((word) => DESTRUCTIVE_WORDS.has(word))) {
    return "destructive";
  }
  if (runsCode(words)) return "execute";
  if (readOnlyHint !== false && READ_WORDS.has(words[0])) return "read";
  return "write";
}

/** `create-flink-statement`, `run_query`, `executeSql` → their lower-case words. */
export function nameWords(name: string): string[] {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase().split(/[^a-z0-9]+/)
    .filter((word) => word !== "");
}

function runsCode(words: readonly string[]): boolean {
  if (words.some((word) => EXECUTE_WORDS.has(word))) return true;
  // Creating a statement runs it (Flink SQL, for one).
  const last = words[words.length - 1];
  return words[0] === "create" && (last === "statement" || last === "statements");
}
