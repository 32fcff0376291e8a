/**
 * Held calls as operators see them (control socket, dashboard, `ctl approvals`): the arguments
 * as the policy saw them, large ones as a preview, and a listing that fits one control line.
 */
import type { ApprovalView } from "../control/protocol.ts";
import type { PendingApproval } from "./approvals.ts";

/** Arguments shown to operators in full up to this size (JSON); larger ones as a preview. */
export const MAX_SHOWN_ARGS_BYTES = 8 * 1024;
/** `approvals` answers within this, well inside the control socket's 1 MiB line. */
export const MAX_APPROVALS_LIST_BYTES = 768 * 1024;

const shownArgs = new WeakMap<PendingApproval, Record<string, unknown>>();

export function approvalView(approval: PendingApproval): ApprovalView {
  let args = shownArgs.get(approval);
  if (!args) {
    args = argsShown(approval.args as Record<string, unknown>);
    shownArgs.set(approval, args);
  }
  return { ...approval, args, from: [...approval.from] };
}

/** The arguments, or, past `MAX_SHOWN_ARGS_BYTES` of JSON, the start of that JSON. */
function argsShown(args: Record<string, unknown>): Record<string, unknown> {
  let json: string;
  try {
    json = JSON.stringify(args);
  } catch {
    return { "(arguments)": "cannot be shown" };
  }
  if (json.length <= MAX_SHOWN_ARGS_BYTES) return args;
  return {
    "(arguments truncated)": `${json.slice(0, MAX_SHOWN_ARGS_BYTES)}…`,
    "(arguments size)": json.length,
  };
}

/**
 * The held calls, soonest to expire first, as many as fit in `MAX_APPROVALS_LIST_BYTES`; the rest
 * still reach subscribers one `approval` notification each.
 */
export function approvalsListed(pending: Iterable<PendingApproval>): ApprovalView[] {
  const soonestFirst = [...pending].sort((a, b) => a.expiresAt - b.expiresAt);
  const views: ApprovalView[] = [];
  let bytes = 0;
  for (const approval of soonestFirst) {
    const view = approvalView(approval);
    bytes += JSON.stringify(view).length;
    if (bytes > MAX_APPROVALS_LIST_BYTES) break;
    views.push(view);
  }
  return views;
}
