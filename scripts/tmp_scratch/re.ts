import { RE2JS } from "re2js";
import { compileLinearRegex } from "../../src/policy/linear_regex.ts";
function bench(re: string, s: string, n = 300000) {
  const p = RE2JS.compile(re);
  const d = compileLinearRegex(re) as { test(s: string): boolean };
  const nat = new RegExp(re.replace("(?i)", ""), re.startsWith("(?i)") ? "iu" : "u");
  const time = (f: () => void) => { for (let i = 0; i < 2000; i++) f(); const t = performance.now(); for (let i = 0; i < n; i++) f(); return (performance.now() - t) / n * 1e6; };
  const a = time(() => p.test(s)), b = time(() => d.test(s)), c = s.length > 1000 ? NaN : time(() => nat.test(s));
  console.log(JSON.stringify(re).padEnd(45), String(s.length).padStart(6), "re2js", a.toFixed(0).padStart(6), "dfa", b.toFixed(0).padStart(6), "native", c.toFixed(0), d.test(s) === p.test(s));
}
bench("^(orders|audit)-", "orders-1");
bench("^(orders|audit)-", "payments");
bench("^(orders|audit|events)-", "orders-eu");
bench("^(orders|audit)-[a-z0-9.-]+$", "orders-eu");
bench("^(pii|gdpr|team-[a-z]+|tier-[0-3])$", "team-core");
bench("^prod-", "prod-1");
bench("(?i)^\\s*(select|show|describe|explain)\\b", "SELECT * FROM orders LIMIT 10");
bench("^lfcp-[a-z0-9]+$", "lfcp-abc123");
bench("^([a-z0-9]+-?)*$", "a".repeat(10000) + "!", 300);
bench("^([a-z0-9]+-?)*$", "a-".repeat(5000) + "!", 300);
bench("(a|b)*a(a|b){20}$", "ab".repeat(5000) + "c", 30);
