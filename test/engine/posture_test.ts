/** postureOf(): what the dashboard shows for a tool, and which posture wins when several apply. */
import { equal } from "node:assert/strict";
import { postureOf } from "../../src/engine/posture.ts";
import { liveDeniesOf, NO_LIVE_DENIES } from "../../src/state/decide_now.ts";
import { policy } from "./support.ts";

const NONE = NO_LIVE_DENIES;

const compiled = policy(`version: "1"
default: allow
hide: [secret, "hidden-*"]
tools:
  plain: { rules: [] }
  paced: { rules: [{ rate_limit: "5/minute" }] }
  counted:
    rules:
      - state: { counter: c, window: minute }
        conditions: [{ path: state.counted.c, op: lte, value: 3 }]
  checked: { rules: [{ conditions: [{ path: args.x, op: eq, value: 1 }] }] }
  validated: { rules: [{ validate: { required_args: true } }] }
  denied-if: { rules: [{ action: deny, conditions: [{ path: args.x, op: exists, value: true }] }] }
  closed: { rules: [{ action: deny, reason: "no" }] }
  paced-and-checked:
    rules:
      - conditions: [{ path: args.x, op: eq, value: 1 }]
      - rate_limit: "5/minute"
  closed-and-paced:
    rules:
      - rate_limit: "5/minute"
      - action: deny
  secret: { rules: [{ rate_limit: "5/minute" }] }
  hidden-closed: { rules: [{ action: deny }] }
  approved:
    rules:
      - action: require_approval
        conditions: [{ path: args.amount, op: gt, value: 100 }]
      - rate_limit: "5/minute"
  approved-but-closed:
    rules:
      - action: require_approval
      - action: deny
`);

Deno.test("postureOf() names each posture", () => {
  equal(postureOf(compiled, "plain", NONE), "allow");
  equal(postureOf(compiled, "unlisted", NONE), "allow");
  equal(postureOf(compiled, "paced", NONE), "limited");
  equal(postureOf(compiled, "counted", NONE), "limited");
  equal(postureOf(compiled, "checked", NONE), "conditional");
  equal(postureOf(compiled, "validated", NONE), "conditional");
  equal(postureOf(compiled, "denied-if", NONE), "conditional");
  equal(postureOf(compiled, "closed", NONE), "deny");
  equal(postureOf(compiled, "secret", NONE), "hidden");
  equal(postureOf(compiled, "approved", NONE), "approval", "over limited: a human may be asked");
  equal(postureOf(compiled, "approved-but-closed", NONE), "deny");
});

Deno.test("postureOf() ranks live-deny over hidden over deny over limited over conditional", () => {
  equal(postureOf(compiled, "paced-and-checked", NONE), "limited");
  equal(postureOf(compiled, "closed-and-paced", NONE), "deny");
  equal(postureOf(compiled, "hidden-closed", NONE), "hidden");
  equal(
    postureOf(compiled, "secret", liveDeniesOf(new Map([["secret", "incident"]]))),
    "live-deny",
  );
  equal(postureOf(compiled, "checked", liveDeniesOf(new Map([["*", "all stop"]]))), "live-deny");
});

Deno.test("postureOf() shows an unlisted tool as deny under default deny, unless hidden", () => {
  const closed = policy(
    `version: "1"\ndefault: deny\nhide: [gone]\ntools:\n  open: { rules: [] }\n`,
  );
  equal(postureOf(closed, "other", NONE), "deny");
  equal(postureOf(closed, "gone", NONE), "hidden");
  equal(postureOf(closed, "open", NONE), "allow");
});
