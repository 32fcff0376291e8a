import { loadPolicyOffThread } from "../../src/policy/load_off_thread.ts";
import { loadPolicyText } from "../../src/policy/loader.ts";
const dir = await Deno.makeTempDir();
function globs(n: number): string {
  let t = `version: "1"\ndefault: deny\ntools:\n`;
  for (let i = 0; i < n; i++) t += `  "svc${i}-*-x": { rules: [] }\n`;
  return t;
}
function big(): string {
  let t = `version: "1"\ndefault: deny\ntools:\n`;
  let i = 0;
  while (t.length < 4 * 1024 * 1024 - 400) {
    t += `  tool-${i}:\n    rules:\n      - name: r\n        conditions: [{ path: args.topic, op: regex, value: "^(orders|audit)-[a-z0-9.-]+$" }]\n        rate_limit: { max: 30, window: 60 }\n`;
    i++;
  }
  return t;
}
function aliases(): string {
  let t = `version: "1"\ndefault: deny\nx-shared: &rules\n`;
  t = `version: "1"\ndefault: deny\ntools:\n  base: &entry\n    rules:\n`;
  for (let r = 0; r < 40; r++) t += `      - { name: r${r}, conditions: [{ path: args.a${r}, op: regex, value: "^v${r}-[a-z]+$" }] }\n`;
  for (let i = 0; i < 20000; i++) t += `  t${i}: *entry\n`;
  return t;
}
const files: Record<string, string> = { globs90k: globs(90_000), big4mb: big(), aliasHeavy: aliases() };
for (const [name, text] of Object.entries(files)) {
  const path = `${dir}/${name}.yaml`;
  Deno.writeTextFileSync(path, text);
  let maxGap = 0, last = performance.now(), ticks = 0;
  const timer = setInterval(() => { const now = performance.now(); maxGap = Math.max(maxGap, now - last); last = now; ticks++; }, 1);
  const t0 = performance.now();
  try {
    const p = await loadPolicyOffThread(path);
    const total = performance.now() - t0;
    clearInterval(timer);
    console.log(name, (text.length / 1e6).toFixed(2), "MB", "total", total.toFixed(0), "ms  max main-thread stall", maxGap.toFixed(1), "ms", "entries", p.exact.size + p.globs.length);
  } catch (e) { clearInterval(timer); console.log(name, "ERROR", String(e).slice(0, 300)); }
  const t1 = performance.now();
  try { loadPolicyText(text, path); } catch { /* */ }
  console.log("   on-thread loadPolicyText", (performance.now() - t1).toFixed(0), "ms");
}
