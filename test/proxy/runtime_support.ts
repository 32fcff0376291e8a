/** Shared set-up for ProxyRuntime tests: a gate on a fake clock, events and decisions recorded. */
import type { ControlEvent } from "../../src/control/protocol.ts";
import type { CompiledPolicy } from "../../src/policy/compiled.ts";
import { loadPolicyText } from "../../src/policy/loader.ts";
import { type Decided, PolicyGate } from "../../src/proxy/policy_gate.ts";
import { ProxyRuntime, type ProxyRuntimeOptions } from "../../src/proxy/proxy_runtime.ts";

export const POLICY = `version: "1"
hide: [secret]
tools:
  produce-message:
    rules:
      - name: paced
        rate_limit: { max: 2, window: 60 }
  delete-topics:
    rules:
      - action: deny
`;

/** What a ProxyRuntime under test says of itself. */
export const RUNTIME_INFO = {
  version: "0.1.0",
  upstreamCommand: ["kafka-server"],
  upstreamPid: 42,
  controlPath: null,
  state: "memory",
};

export function setUp(
  next: () => Promise<CompiledPolicy> = () => Promise.reject(new Error("none")),
  overrides: Partial<ProxyRuntimeOptions> = {},
) {
  let now = 1_000_000;
  const gate = new PolicyGate(loadPolicyText(POLICY, "kafka.yaml"), { now: () => now });
  const events: ControlEvent[] = [];
  let toolsChanged = 0;
  const runtime = new ProxyRuntime({
    gate,
    session: "s1",
    info: RUNTIME_INFO,
    loadPolicy: next,
    upstreamTools: () => ["list-topics", "produce-message"],
    clientInfo: () => ({ name: "agent", version: "1" }),
    onToolsChanged: () => toolsChanged++,
    backfill: 3,
    ...overrides,
  });
  runtime.subscribe((event) => events.push(event));
  const decide = (tool: string) => {
    const { decision } = gate.decide({ tool, args: {}, session: "s1" }) as Decided;
    runtime.recordDecision({
      ts: now,
      session: "s1",
      principal: "s1",
      client: null,
      era: "legacy",
      decision,
      args: {},
      latencyMs: 0.1,
      round: 1,
    });
    return decision;
  };
  return {
    gate,
    runtime,
    events,
    decide,
    toolsChanged: () => toolsChanged,
    advance: (ms: number) => now += ms,
  };
}
