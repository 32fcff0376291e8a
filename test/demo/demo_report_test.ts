/** The demo's decision lines and summary. */
import { equal, match } from "node:assert/strict";
import type { ApprovalNotice } from "../../src/control/protocol.ts";
import {
  DemoTally,
  formatCallLine,
  formatHeldLine,
  formatLink,
} from "../../src/demo/demo_report.ts";
import type { AgentCall } from "../../src/demo/simulated_agent.ts";

const TS = new Date(2026, 0, 2, 9, 5, 7, 42).getTime();

function call(overrides: Partial<AgentCall>): AgentCall {
  return {
    ts: TS,
    tool: "produce-message",
    args: {},
    allowed: true,
    isError: false,
    text: "Message produced successfully to [Topic: orders, Partition: 0, Offset: 0]",
    rule: null,
    latencyMs: 3,
    ...overrides,
  };
}

const DENIED = call({
  allowed: false,
  text: "Writes are limited to 30 a minute (retry in 41s)",
  rule: "writes are paced",
});

Deno.test("formatCallLine() shows time, tool, ALLOW or DENY and the reason", () => {
  equal(
    formatCallLine(call({})),
    "09:05:07.042  produce-message    ALLOW  Message produced successfully to [Topic: orders, Partition: 0, Offset: 0]",
  );
  equal(
    formatCallLine(DENIED),
    "09:05:07.042  produce-message    DENY   Writes are limited to 30 a minute (retry in 41s)  [writes are paced]",
  );
});

Deno.test("formatCallLine() keeps the first line, marks server errors and fits a width", () => {
  match(
    formatCallLine(call({ text: "Consumed 2 messages.\n[...]" })),
    /ALLOW {2}Consumed 2 messages\.$/,
  );
  match(
    formatCallLine(call({ isError: true, text: "Topic 'x' already exists." })),
    /server error: Topic/,
  );
  const line = formatCallLine(call({ text: "x".repeat(200) }), { width: 80 });
  equal(line.length, 80);
  match(line, /x…$/);
  equal(formatCallLine(DENIED, { color: true }).includes("\x1b[31mDENY"), true);
});

Deno.test("DemoTally.summary() counts per tool and groups denial reasons", () => {
  const tally = new DemoTally();
  tally.add(call({}));
  tally.add(DENIED);
  tally.add({ ...DENIED, text: "Writes are limited to 30 a minute (retry in 40s)" });
  tally.add(call({ tool: "delete-topics", allowed: false, text: "A human must do it", rule: "r" }));
  const lines = tally.summary(4_000);
  equal(lines[0], "Summary: 4 calls in 4.0s, 1 allowed, 3 denied");
  match(lines.join("\n"), /^ {2}produce-message +1 +2$/m);
  match(lines.join("\n"), /^ {2}delete-topics +0 +1$/m);
  match(
    lines.join("\n"),
    /Denial reasons:\n +2 {2}produce-message: Writes are limited to 30 a minute\n +1 {2}delete-topics: A human must do it$/,
  );
});

Deno.test("DemoTally.summary() has no reasons section when nothing was denied", () => {
  const tally = new DemoTally();
  tally.add(call({}));
  equal(tally.summary(1_000).some((line) => line.startsWith("Denial")), false);
});

function held(event: ApprovalNotice["event"]): ApprovalNotice {
  return {
    ts: TS,
    event,
    by: event === "granted" ? "ann via dashboard" : null,
    reason: null,
    approval: {
      id: "a1",
      tool: "create-connector",
      args: {},
      session: "s1",
      principal: "uid:ann",
      client: "intercept-demo-agent",
      rule: "connectors need a human",
      reason: "New connectors are approved by a human",
      requestedAt: TS,
      expiresAt: TS + 3_000,
      from: ["operator"],
      askingUser: false,
    },
  };
}

Deno.test("formatHeldLine() says a call waits for a human, how long, and why", () => {
  equal(
    formatHeldLine(held("requested")),
    "09:05:07.042  create-connector   HELD   waits for a human (3s): New connectors are approved by a human",
  );
  equal(formatHeldLine(held("requested"), { width: 60 }).length, 60);
  equal(formatHeldLine(held("requested"), { color: true }).includes("\x1b[33mHELD"), true);
});

Deno.test("DemoTally.summary() says how many calls were held and what became of them", () => {
  const tally = new DemoTally();
  equal(tally.summary(1_000).some((line) => line.startsWith("Held")), false);
  for (const event of ["requested", "granted", "requested", "expired"] as const) {
    tally.approval(held(event));
  }
  match(
    tally.summary(1_000).join("\n"),
    /^Held for a human: 2 calls, 1 approved, 0 rejected, 1 timed out$/m,
  );
  tally.approval(held("requested"));
  tally.approval(held("withdrawn"));
  match(
    tally.summary(1_000).join("\n"),
    /^Held for a human: 3 calls, .*1 timed out, 1 withdrawn$/m,
  );
  tally.approval(held("requested"));
  tally.approval(held("released"));
  match(
    tally.summary(1_000).join("\n"),
    /^Held for a human: 4 calls, .*1 withdrawn, 1 released by a policy change$/m,
  );
});

Deno.test("formatLink() says which protocol version and era the agent speaks", () => {
  const modern = { era: "modern", protocolVersion: "2026-07-28" } as const;
  equal(formatLink(modern), "The agent speaks MCP 2026-07-28 (modern era)");
  equal(
    formatLink({ era: "legacy", protocolVersion: "2025-11-25" }, { color: true }),
    "\x1b[2mThe agent speaks MCP 2025-11-25 (legacy era)\x1b[0m",
  );
});

Deno.test("DemoTally.summary() names the agent's era once it connected", () => {
  const tally = new DemoTally();
  tally.add(call({}));
  equal(tally.summary(1_000).some((line) => line.startsWith("Agent:")), false);
  tally.link = { era: "modern", protocolVersion: "2026-07-28" };
  match(tally.summary(1_000).join("\n"), /^Agent: MCP 2026-07-28 \(modern era\)$/m);
});
