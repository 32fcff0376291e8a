/**
 * How long a reload of a large policy stalls the main thread: each policy is loaded as the
 * proxy reloads it (`loadPolicyOffThread`) while a 1 ms interval timer measures how late it
 * fires (the longest gap). The same probe on an idle main thread gives the machine's own
 * noise, and the one-shot path the proxy used before (receive the whole policy, compile it in
 * one go) is timed on the same policies for comparison.
 */
import { compilePolicy } from "../../src/policy/compile.ts";
import { loadPolicyOffThread } from "../../src/policy/load_off_thread.ts";
import { checkPolicyText } from "../../src/policy/loader.ts";

export interface ReloadFigures {
  name: string;
  bytes: number;
  entries: number;
  /** Longest gap of the 1 ms probe while the reload ran. */
  maxStallMs: number;
  totalMs: number;
  /** What the one-shot path blocks the main thread for: copy the policy in, compile it. */
  oneShotMs: number;
}

/** 90,000 glob entries. */
export function globsPolicy(count = 90_000): string {
  let text = `version: "1"\ndefault: deny\ntools:\n`;
  for (let i = 0; i < count; i++) text += `  "svc${i}-*-x": { rules: [] }\n`;
  return text;
}

/** Just under the 4 MiB limit: tools with a regex condition and a quota each. */
export function fourMegabytePolicy(limit = 4 * 1024 * 1024 - 512): string {
  let text = `version: "1"\ndefault: deny\ntools:\n`;
  for (let i = 0; text.length < limit; i++) {
    text += `  tool-${i}:\n    rules:\n      - name: known topics\n        conditions: ` +
      `[{ path: args.topic, op: regex, value: "^(orders|audit)-[a-z0-9.-]+$" }]\n` +
      `        rate_limit: { max: 30, window: 60 }\n`;
  }
  return text;
}

/** 90 entries that share one list of 1,000 rules through YAML aliases: 90,000 rules. */
export function aliasHeavyPolicy(rules = 1_000, aliases = 90): string {
  let text = `version: "1"\ndefault: deny\ntools:\n  base:\n    rules: &shared\n`;
  for (let r = 0; r < rules; r++) {
    text += `      - { name: r${r}, conditions: [{ path: args.a${r % 50}, op: regex, ` +
      `value: "^v${r}-[a-z]+$" }], rate_limit: "${r % 60 + 1}/minute" }\n`;
  }
  for (let i = 0; i < aliases; i++) text += `  t${i}: { rules: *shared }\n`;
  return text;
}

/** Runs `work` while a 1 ms timer measures the longest gap between its firings. */
export async function probeStall<T>(
  work: () => Promise<T>,
): Promise<{ value: T; maxGapMs: number }> {
  let last = performance.now();
  let maxGapMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
  }, 1);
  try {
    const value = await work();
    return { value, maxGapMs: Math.max(maxGapMs, performance.now() - last) };
  } finally {
    clearInterval(timer);
  }
}

export async function reloadRun(name: string, text: string): Promise<ReloadFigures> {
  const dir = await Deno.makeTempDir({ prefix: "intercept-reload-bench-" });
  try {
    const path = `${dir}/${name}.yaml`;
    await Deno.writeTextFile(path, text);
    const started = performance.now();
    const { value: policy, maxGapMs } = await probeStall(() => loadPolicyOffThread(path));
    const totalMs = performance.now() - started;
    const checked = checkPolicyText(text, path);
    const oneShotStart = performance.now();
    compilePolicy(structuredClone(checked), { source: path });
    const oneShotMs = performance.now() - oneShotStart;
    return {
      name,
      bytes: new TextEncoder().encode(text).length,
      entries: policy.exact.size + policy.globs.length + (policy.wildcard ? 1 : 0),
      maxStallMs: maxGapMs,
      totalMs,
      oneShotMs,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The probe on an idle main thread for `ms`: the machine's own timer noise. */
export async function idleStallMs(ms: number): Promise<number> {
  const { maxGapMs } = await probeStall(() => new Promise((resolve) => setTimeout(resolve, ms)));
  return maxGapMs;
}
