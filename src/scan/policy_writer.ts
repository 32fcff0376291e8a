/**
 * Writes the starter policy for a scanned server as YAML text, by hand, so that every tool's
 * description and arguments sit as comments right above its entry.
 */
import { isGlob } from "../policy/glob.ts";
import { categorize, type Category, type ScannedTool } from "./categorize.ts";

export interface ServerInfo {
  readonly name: string;
  readonly version: string;
}

export interface WritePolicyOptions {
  /** The scan date for the header; omitted (no date line) when null. */
  date?: Date | null;
}

const LINE_WIDTH = 100;
const CATEGORY_ORDER: readonly Category[] = ["read", "write", "execute", "destructive"];
const SECTION_COMMENTS: Record<Category, string> = {
  read: "Read tools (read-only by annotation or name): allowed.",
  write: "Write tools (they change things): allowed, 30 calls a minute per session.",
  execute: "Execute tools (they run code or statements): 10 calls a minute per session, and " +
    "the arguments are checked against the tool's own schema first.",
  destructive: "Destructive tools: denied; a human must run them.",
};

/** The policy text for `tools` of `server`: deterministic for the same tools and date. */
export function writePolicy(
  server: ServerInfo,
  tools: readonly ScannedTool[],
  options: WritePolicyOptions = {},
): string {
  const listable = tools.filter((tool) => !unlistable(tool.name));
  const skipped = tools.filter((tool) => unlistable(tool.name)).map((tool) => tool.name);
  const groups = new Map<Category, ScannedTool[]>(CATEGORY_ORDER.map((c) => [c, []]));
  for (const tool of listable) groups.get(categorize(tool))!.push(tool);
  for (const group of groups.values()) group.sort((a, b) => compare(a.name, b.name));

  const summary = `${listable.length} tool${listable.length === 1 ? "" : "s"} (` +
    CATEGORY_ORDER.map((category) => `${groups.get(category)!.length} ${category}`).join(", ") +
    ")";
  const lines = [
    `# Policy for the MCP server ${oneLine(server.name)} ${oneLine(server.version)}, ` +
    "written by `intercept scan`.",
    ...(options.date ? [`# Scanned on ${options.date.toISOString().slice(0, 10)}.`] : []),
    "# Tools are grouped by their annotations (readOnlyHint, destructiveHint) first and their",
    "# names second: review each group before you rely on it.",
    `version: "1"`,
    `description: ${quote(`${server.name} ${server.version}: ${summary}`)}`,
    "# A tool this scan did not see (a later release may add some) is denied until listed here.",
    "default: deny",
    ...skipped.map((name) =>
      `# Not listed: ${quote(name)} cannot be a policy key (glob character or reserved name).`
    ),
    "",
    listable.length === 0 ? "tools: {}" : "tools:",
  ];
  for (const category of CATEGORY_ORDER) {
    const group = groups.get(category)!;
    if (group.length === 0) continue;
    lines.push(...wrapComment(SECTION_COMMENTS[category], "  "), "");
    for (const tool of group) lines.push(...toolEntry(tool, category), "");
  }
  lines.push(
    "  # A ceiling on all calls together, shared by every session: uncomment to use it.",
    `  # "*":`,
    "  #   rules:",
    "  #     - rate_limit: { max: 120, window: 60, per: global }",
  );
  return lines.join("\n") + "\n";
}

function toolEntry(tool: ScannedTool, category: Category): string[] {
  const lines: string[] = [];
  const description = oneLine(tool.description ?? "");
  if (description) lines.push(truncate(`  # ${description}`, LINE_WIDTH));
  const args = describeArguments(tool.inputSchema);
  lines.push(...wrapComment(`Arguments: ${args.length > 0 ? args.join(", ") : "none"}`, "  "));
  lines.push(`  ${key(tool.name)}:`);
  switch (category) {
    case "read":
      lines.push("    rules: []");
      break;
    case "write":
      lines.push(
        "    rules:",
        "      - action: allow",
        "        rate_limit: { max: 30, window: 60 }",
      );
      break;
    case "execute":
      lines.push(
        "    rules:",
        "      - action: allow",
        "        rate_limit: { max: 10, window: 60 }",
        "        validate: { required_args: true }",
      );
      break;
    case "destructive":
      lines.push(
        "    rules:",
        "      - action: deny",
        `        reason: ${
          quote(`${tool.name} is destructive: a human must run it, not an agent`)
        }`,
      );
      break;
  }
  return lines;
}

/** `topicName (string, required)` for each property of the tool's input schema. */
export function describeArguments(schema: unknown): string[] {
  if (!isObject(schema) || !isObject(schema.properties)) return [];
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  return Object.entries(schema.properties).map(([name, property]) => {
    const type = typeOf(property);
    return `${oneLine(name)} (${type}${required.has(name) ? ", required" : ""})`;
  });
}

function typeOf(property: unknown): string {
  if (!isObject(property)) return "any";
  const { type } = property;
  if (typeof type === "string") return type;
  if (Array.isArray(type)) return type.filter((t) => typeof t === "string").join("|") || "any";
  const options = property.anyOf ?? property.oneOf;
  if (Array.isArray(options)) {
    const types = [...new Set(options.map(typeOf))];
    return types.includes("any") ? "any" : types.join("|");
  }
  if (Array.isArray(property.enum)) return "enum";
  return "any";
}

/** Whitespace and control characters collapsed, so the text fits in one comment line. */
function oneLine(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\s\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").trim();
}

function truncate(line: string, width: number): string {
  const chars = [...line];
  return chars.length <= width ? line : chars.slice(0, width - 3).join("").trimEnd() + "...";
}

/** A comment split at spaces into lines of at most LINE_WIDTH (a longer word stays whole). */
function wrapComment(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = `${indent}#`;
  for (const word of text.split(" ")) {
    const next = `${line} ${word}`;
    if (next.length > LINE_WIDTH && line.length > indent.length + 3) {
      lines.push(line);
      line = `${indent}#   ${word}`;
    } else line = next;
  }
  lines.push(line);
  return lines;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.\/-]*$/;
const YAML_WORDS = /^(true|false|null|yes|no|on|off|y|n)$/i;

function key(name: string): string {
  return PLAIN_KEY.test(name) && !YAML_WORDS.test(name) ? name : quote(name);
}

/** A JSON string is a valid YAML double-quoted scalar. */
function quote(text: string): string {
  return JSON.stringify(text);
}

function unlistable(name: string): boolean {
  return isGlob(name) || name === "__proto__" || name === "";
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
