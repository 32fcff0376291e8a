import { loadPolicyText, PolicyLoadError } from "../../src/policy/loader.ts";
const cases: Record<string, string> = {
  window: `version: "1"\ntools:\n  a:\n    rules:\n      - rate_limit: { max: 1, window: constructor }\n`,
  windowNum: `version: "1"\ntools:\n  a:\n    rules:\n      - rate_limit: { max: 1, window: 5constructor }\n`,
  rate: `version: "1"\ntools:\n  a:\n    rules:\n      - rate_limit: "1/toString"\n`,
  rate2: `version: "1"\ntools:\n  a:\n    rules:\n      - rate_limit: "1/__proto__"\n`,
  rate3: `version: "1"\ntools:\n  a:\n    rules:\n      - rate_limit: "1/hasOwnProperty"\n`,
  op: `version: "1"\ntools:\n  a:\n    rules:\n      - conditions: [{ path: args.x, op: hasOwnProperty, value: 1 }]\n`,
  op2: `version: "1"\ntools:\n  a:\n    rules:\n      - conditions: [{ path: args.x, op: __proto__, value: 1 }]\n`,
  per: `version: "1"\ntools:\n  a:\n    rules:\n      - rate_limit: { max: 1, window: 60, per: constructor }\n`,
  action: `version: "1"\ntools:\n  a:\n    rules:\n      - action: toString\n`,
  def: `version: "1"\ndefault: constructor\ntools: {}\n`,
  counterWin: `version: "1"\ntools:\n  a:\n    rules:\n      - state: { counter: c, window: valueOf }\n        conditions: [{ path: state.a.c, op: lt, value: 3 }]\n`,
  protoKeyRule: `version: "1"\ntools:\n  a:\n    rules:\n      - __proto__: { action: deny }\n`,
  protoKeyTop: `version: "1"\n__proto__: { default: deny }\ntools: {}\n`,
  protoValue: `version: "1"\ntools:\n  a:\n    rules:\n      - conditions: [{ path: args.x, op: eq, value: { __proto__: 1 } }]\n`,
  pathProto: `version: "1"\ntools:\n  a:\n    rules:\n      - conditions: [{ path: args.__proto__, op: exists, value: true }]\n`,
  toolProto: `version: "1"\ntools:\n  __proto__: { rules: [] }\n`,
  toolCtor: `version: "1"\ntools:\n  constructor: { rules: [{action: deny}] }\n`,
  version: `version: constructor\ntools: {}\n`,
};
for (const [name, text] of Object.entries(cases)) {
  try {
    const p = loadPolicyText(text, "p.yaml");
    const e = p.exact.get("a");
    console.log("LOADED", name, JSON.stringify(e?.rules.map((r) => ({ a: r.action, q: r.quota, c: r.conditions.map((c) => c.text) }))), p.defaultPosture);
  } catch (error) {
    console.log("ERROR ", name, error instanceof PolicyLoadError ? error.message : error);
  }
}
