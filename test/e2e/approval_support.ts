/** Operator steps of the approvals end-to-end tests: `intercept ctl` against a proxy's socket. */
import { equal } from "node:assert/strict";
import type { ApprovalView } from "../../src/control/protocol.ts";
import { delay, runIntercept } from "./helpers.ts";

/** `intercept ctl --control SOCKET ARGS...`. */
export async function ctl(control: string, ...args: string[]) {
  return await runIntercept(["ctl", "--control", control, ...args]);
}

/** Waits until the proxy lists a held call, and returns it (a socket not open yet is waited for). */
export async function heldCall(control: string, timeoutMs = 15_000): Promise<ApprovalView> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const listed = await ctl(control, "approvals");
    if (listed.code !== 4) {
      equal(listed.code, 0, listed.stderr);
      const { approvals } = JSON.parse(listed.stdout) as { approvals: ApprovalView[] };
      if (approvals.length > 0) return approvals[0];
    }
    await delay(50);
  }
  throw new Error("No call was held within the time");
}
