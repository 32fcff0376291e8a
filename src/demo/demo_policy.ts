/**
 * The demo's policy: the bundled confluent-kafka policy with `create-connector` held for a
 * human, for a short time. With the dashboard the operator has 20 s to press `y`; headless
 * nobody answers, and after 3 s the call is denied. Written to a private temporary folder for
 * the proxy to read, and removed with it.
 */

/** The policy the demo's own one is made from. */
export const DEMO_BASE_POLICY = "builtin:confluent-kafka";
/** The tool the demo's policy holds for a human, and the rule that holds it. */
export const HELD_TOOL = "create-connector";
export const APPROVAL_RULE = "connectors need a human";
export const APPROVAL_REASON = "New connectors are approved by a human";
/** Seconds the operator has to answer: in the dashboard, and headless (nobody answers). */
export const DASHBOARD_TIMEOUT_S = 20;
export const HEADLESS_TIMEOUT_S = 3;

/**
 * The base policy's text with `create-connector` held for `timeoutS` seconds: its entry's
 * lines replaced, the rest of the text as it is (comments too). A text edit, not a YAML
 * round trip: the demo spawns the proxy on this file, and the YAML library would cost that
 * start a tenth of a second or more. The tests check that the result loads and differs from
 * the base in that entry only.
 */
export async function demoPolicyText(timeoutS: number): Promise<string> {
  const { readPolicySource } = await import("../policy/policy_source.ts");
  return holdForHuman(await readPolicySource(DEMO_BASE_POLICY), timeoutS);
}

/** `text` (a policy) with the `create-connector` entry replaced by the hold for a human. */
export function holdForHuman(text: string, timeoutS: number): string {
  const lines = text.split("\n");
  const key = `${HELD_TOOL}:`;
  const at = lines.flatMap((line, i) => line.trim() === key ? [i] : []);
  const indent = at.length === 1 ? lines[at[0]].indexOf(key) : -1;
  if (indent <= 0) {
    throw new Error(`${DEMO_BASE_POLICY} has no single ${HELD_TOOL} entry to hold for a human`);
  }
  // The entry runs to the next line indented as much as its key or less (blank lines aside).
  let end = at[0] + 1;
  for (let i = end; i < lines.length && !outdented(lines[i], indent); i++) {
    if (lines[i].trim() !== "") end = i + 1;
  }
  const pad = " ".repeat(indent);
  const entry = [
    `${pad}${key}`,
    `${pad}  rules:`,
    `${pad}    - name: ${JSON.stringify(APPROVAL_RULE)}`,
    `${pad}      action: require_approval`,
    `${pad}      approval: { timeout: ${timeoutS}, from: [operator] }`,
    `${pad}      reason: ${JSON.stringify(APPROVAL_REASON)}`,
  ];
  const header = [
    `# The intercept demo's policy: ${DEMO_BASE_POLICY}, with ${HELD_TOOL} held for a human ` +
    `(${timeoutS} s to answer).`,
  ];
  return [...header, ...lines.slice(0, at[0]), ...entry, ...lines.slice(end)].join("\n");
}

function outdented(line: string, indent: number): boolean {
  return line.trim() !== "" && line.length - line.trimStart().length <= indent;
}

/** A private folder with the demo's policy in it; `dispose` removes both. */
export async function writeDemoPolicy(
  timeoutS: number,
): Promise<{ path: string; dispose: () => Promise<void> }> {
  const text = await demoPolicyText(timeoutS);
  const dir = await Deno.makeTempDir({ prefix: "intercept-demo-" });
  const path = `${dir}/kafka-demo.yaml`;
  await Deno.writeTextFile(path, text, { mode: 0o600 });
  return { path, dispose: () => Deno.remove(dir, { recursive: true }).catch(() => {}) };
}
