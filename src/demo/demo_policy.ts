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

/** The base policy's text with `create-connector` held for `timeoutS` seconds. */
export async function demoPolicyText(timeoutS: number): Promise<string> {
  // Loaded when needed: the demo draws its splash before these are read.
  const [{ parseDocument }, { loadPolicyText, readPolicySource }] = await Promise.all([
    import("yaml"),
    import("../policy/loader.ts"),
  ]);
  const doc = parseDocument(await readPolicySource(DEMO_BASE_POLICY));
  const rule = {
    name: APPROVAL_RULE,
    action: "require_approval",
    approval: { timeout: timeoutS, from: ["operator"] },
    reason: APPROVAL_REASON,
  };
  if (!doc.hasIn(["tools", HELD_TOOL])) {
    throw new Error(`${DEMO_BASE_POLICY} has no ${HELD_TOOL} entry to hold for a human`);
  }
  doc.setIn(["tools", HELD_TOOL, "rules"], doc.createNode([rule], { flow: false }));
  doc.commentBefore = ` The intercept demo's policy: ${DEMO_BASE_POLICY}, with ${HELD_TOOL} ` +
    `held for a human (${timeoutS} s to answer).\n${doc.commentBefore ?? ""}`;
  const text = doc.toString({ lineWidth: 0 });
  loadPolicyText(text, "demo policy"); // throws, with its place, if it does not load
  return text;
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
