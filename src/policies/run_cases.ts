/**
 * Runs test cases through the engine, without any server: each case from a fresh quota state
 * on a fake clock that moves only when a step says `wait`.
 */
import type { Decision } from "../engine/decision.ts";
import type { Held } from "../engine/plan.ts";
import { MemoryBackend } from "../state/memory_backend.ts";
import { NO_LIVE_DENIES, verdictNow } from "../state/decide_now.ts";
import type { CompiledPolicy } from "../policy/compiled.ts";
import type { TestCases, TestStep } from "./cases.ts";

export interface CaseResult {
  readonly name: string;
  readonly passed: boolean;
  /** What differed from the expectation, one line each; empty when the case passed. */
  readonly problems: readonly string[];
}

/** The fake clock's start; only differences between instants matter to the engine. */
const EPOCH = Date.UTC(2026, 0, 1);
const DEFAULT_SESSION = "test";

export function runCases(policy: CompiledPolicy, cases: TestCases): CaseResult[] {
  return cases.cases.map((testCase) => {
    const state = { backend: new MemoryBackend(), liveDenies: NO_LIVE_DENIES };
    let now = EPOCH;
    const problems: string[] = [];
    testCase.steps.forEach((step, index) => {
      now += step.waitMs;
      const times = step.times ?? 1;
      const call = {
        tool: step.tool,
        args: step.args ?? {},
        session: step.session ?? DEFAULT_SESSION,
        inputSchema: Object.hasOwn(cases.schemas, step.tool) ? cases.schemas[step.tool] : undefined,
        approved: step.approved ?? false,
      };
      let verdict = verdictNow(policy, call, state, now);
      for (let i = 1; i < times; i++) verdict = verdictNow(policy, call, state, now);
      const differences = compare(step, verdict);
      if (differences.length === 0) return;
      const where = [
        testCase.steps.length > 1 ? `step ${index + 1} (${step.tool})` : "",
        times > 1 ? `call ${times} of ${times}` : "",
      ].filter((part) => part !== "").join(", ");
      problems.push(...differences.map((text) => where ? `${where}: ${text}` : text));
    });
    return { name: testCase.name, passed: problems.length === 0, problems };
  });
}

function compare(step: TestStep, found: Decision | Held): string[] {
  const decision: Decision | HeldDecision = "kind" in found ? heldDecision(found) : found;
  const verdict = "held" in decision ? "held" : decision.allowed ? "allow" : "deny";
  const differences: string[] = [];
  if (verdict !== step.expect) {
    const why = decision.reason ? `: ${decision.reason}` : "";
    differences.push(
      `expected ${step.expect}, got ${verdict} by rule "${decision.rule}"${why}`,
    );
  }
  if (step.rule !== undefined && step.rule !== decision.rule) {
    differences.push(`expected rule "${step.rule}", got "${decision.rule}"`);
  }
  if (step.reason_contains !== undefined) {
    const reason = decision.reason ?? "";
    if (!reason.toLowerCase().includes(step.reason_contains.toLowerCase())) {
      differences.push(
        `expected a reason containing ${JSON.stringify(step.reason_contains)}, got ` +
          (decision.reason === null ? "no reason" : JSON.stringify(decision.reason)),
      );
    }
  }
  return differences;
}

interface HeldDecision {
  readonly held: true;
  readonly rule: string;
  readonly reason: string | null;
}

/** A held call, in the terms a case compares: the holding rule and its reason. */
function heldDecision(held: Held): HeldDecision {
  return { held: true, rule: held.rule.name, reason: held.rule.reason };
}
