import { loadPolicyText, PolicyLoadError } from "../../src/policy/loader.ts";
const text = `version: "1"
tools:
  produce-message:
    rules:
      - name: broken
        conditions:
          - { path: args.topic, op: matches, value: "x" }
          - { path: arguments.topic, op: eq, value: "x" }
          - { path: args.topic, op: in, value: "orders" }
          - { path: args.count, op: lt, value: "ten" }
          - { path: args.topic, op: regex, value: "(a)\\\\1" }
        rate_limit: "30/fortnight"
        reasn: "typo"
      - rate_limit: { max: 0, window: 5y }
`;
try { loadPolicyText(text, "p.yaml"); } catch (e) { console.log((e as PolicyLoadError).message); }
