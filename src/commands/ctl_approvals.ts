/**
 * `ctl approve|reject ID` with several proxies running and none chosen: approval ids are
 * random and unique, so every proxy is asked and the one that holds the call answers; the
 * others say they hold nothing under that id.
 */
import type { ControlMethod } from "../control/protocol.ts";
import { NOT_WAITING } from "../control/protocol.ts";
import { type Answer, askEverywhere, EXIT, operatorName, type Target } from "./ctl_targets.ts";

export function isApprovalAnswer(method: ControlMethod): boolean {
  return method === "approve" || method === "reject";
}

export async function answerApproval(
  paths: readonly string[],
  command: { method: ControlMethod; params?: Record<string, unknown> },
  timeoutMs: number,
): Promise<number> {
  const targets = await askEverywhere(paths, command, {
    timeoutMs,
    idempotentAllow: false,
    by: operatorName(),
  });
  const taken = targets.find((target) => target.answer.kind === "result");
  if (taken) {
    console.log(
      JSON.stringify({ path: taken.path, name: taken.name, result: resultOf(taken) }, null, 2),
    );
    return EXIT.ok;
  }
  const id = String(command.params?.id);
  const silent = targets.filter((target) => !notWaiting(target.answer));
  for (const target of silent) {
    const where = target.name ? `${target.name} (${target.path})` : target.path;
    const error = target.answer.kind === "result" ? null : target.answer.error;
    console.error(`intercept ctl: ${where}: ${error?.message}`);
  }
  const unanswered = silent.some((target) => target.answer.kind === "noAnswer");
  console.error(
    `intercept ctl: no proxy holds a call under approval id ${id}` +
      (unanswered ? " that answered in time (one that did not may hold it)" : "") +
      " (intercept ctl approvals lists them)",
  );
  console.log(
    JSON.stringify({ error: { message: `No call waits under approval id ${id}` } }, null, 2),
  );
  return unanswered ? EXIT.noAnswer : EXIT.refused;
}

function resultOf(target: Target): unknown {
  return target.answer.kind === "result" ? target.answer.result : null;
}

function notWaiting(answer: Answer): boolean {
  return answer.kind === "refused" &&
    (answer.error.data as { reason?: unknown } | undefined)?.reason === NOT_WAITING;
}
