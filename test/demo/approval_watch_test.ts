/**
 * The demo's approval watch on a real proxy, and the agent withdrawing a held call when stopped,
 * on the modern era (a `notifications/cancelled` with the envelope) and the legacy one.
 */
import { deepEqual, equal } from "node:assert/strict";
import type { ApprovalNotice } from "../../src/control/protocol.ts";
import type { AgentEra } from "../../src/demo/agent_era.ts";
import { ApprovalWatch } from "../../src/demo/approval_watch.ts";
import { writeDemoPolicy } from "../../src/demo/demo_policy.ts";
import { type AgentCall, runSimulatedAgent } from "../../src/demo/simulated_agent.ts";
import { interceptArgv } from "../e2e/intercept_command.ts";
import { markedEnv, ROOT } from "./support.ts";

const ERAS: AgentEra[] = ["modern", "legacy"];

for (const era of ERAS) {
  Deno.test(`ApprovalWatch hears a held call; stopping the ${era} agent withdraws it without waiting`, async () => {
    const policy = await writeDemoPolicy(120);
    const dir = await Deno.makeTempDir({ prefix: "intercept-watch-" });
    const control = `${dir}/demo.sock`;
    const stop = new AbortController();
    const notices: ApprovalNotice[] = [];
    // Started before the proxy: it keeps trying until the socket is there.
    const watch = new ApprovalWatch(control, {
      onNotice: (notice) => {
        notices.push(notice);
        if (notice.event === "requested") stop.abort();
      },
    });
    const calls: AgentCall[] = [];
    try {
      const command = interceptArgv([
        "-c",
        policy.path,
        "--control",
        control,
        "--",
        ...interceptArgv(["demo", "--server"]),
      ]);
      const result = await runSimulatedAgent(command, {
        era,
        paceMs: 0,
        passes: 1,
        cwd: ROOT,
        env: markedEnv(crypto.randomUUID()),
        signal: stop.signal,
        callTimeoutMs: 130_000,
        onCall: (call) => calls.push(call),
      });
      equal(result.passes, 0, "stopped within its pass");
      equal(calls.at(-1)?.tool, "consume-messages", "the held call never got an answer");
      await watch.close(10_000);
      deepEqual(notices.map((n) => [n.event, n.approval.tool]), [
        ["requested", "create-connector"],
        ["withdrawn", "create-connector"],
      ]);
      deepEqual(notices[0].approval.args.connectorName, "orders-s3-archive-1");
      equal(watch.pending, 0);
    } finally {
      await watch.close(0);
      await policy.dispose();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
