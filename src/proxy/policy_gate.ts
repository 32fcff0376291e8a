/**
 * The decision side of the proxy: the current policy, its quota state and the operator's live
 * denies. Fails closed: an error inside the engine denies the call.
 */
import { BUILTIN_RULES, type Decision, type QuotaStatus } from "../engine/decision.ts";
import {
  type EngineState,
  evaluate,
  findEntry,
  isHidden,
  needsInputSchema,
  quotaStatuses,
  type ToolCall,
} from "../engine/evaluate.ts";
import { QuotaStore } from "../engine/quota_store.ts";
import type { CompiledPolicy } from "../policy/compiled.ts";
import { LiveDenies } from "../state/live_denies.ts";

export interface PolicyGateOptions {
  now?: () => number;
  onInternalError?: (error: Error, call: ToolCall) => void;
}

export class PolicyGate {
  #policy: CompiledPolicy;
  readonly liveDenies = new LiveDenies();
  readonly quotas = new QuotaStore();
  readonly #state: EngineState = { quotas: this.quotas, liveDenies: this.liveDenies };
  readonly #now: () => number;
  readonly #onInternalError: (error: Error, call: ToolCall) => void;

  constructor(policy: CompiledPolicy, options: PolicyGateOptions = {}) {
    this.#policy = policy;
    this.#now = options.now ?? Date.now;
    this.#onInternalError = options.onInternalError ?? (() => {});
  }

  get policy(): CompiledPolicy {
    return this.#policy;
  }

  /** Swaps in a reloaded policy; quotas whose rule kept its entry, name and window carry on. */
  replacePolicy(policy: CompiledPolicy): void {
    this.#policy = policy;
  }

  /** The quotas a call of `tool` would involve for `session`, without taking any. */
  quotaViews(tool: string, session: string): QuotaStatus[] {
    const rules = (findEntry(this.#policy, tool) ?? this.#policy.wildcard)?.rules ?? [];
    return quotaStatuses(rules, session, this.#state, this.#now());
  }

  /** The key of the entry whose quotas govern `tool` (`"*"` when only the wildcard does). */
  entryKeyOf(tool: string): string | null {
    return (findEntry(this.#policy, tool) ?? this.#policy.wildcard)?.key ?? null;
  }

  now(): number {
    return this.#now();
  }

  decide(call: ToolCall): Decision {
    try {
      return evaluate(this.#policy, call, this.#state, this.#now());
    } catch (error) {
      this.#onInternalError(error as Error, call);
      return {
        allowed: false,
        tool: call.tool,
        rule: BUILTIN_RULES.internal,
        reason: `The policy engine failed on this call, so it is denied: ${
          (error as Error).message
        }`,
        retryAfterMs: null,
        quotas: [],
      };
    }
  }

  /** Whether the agent may see the tool in `tools/list` (not when the engine fails). */
  isVisible(tool: string): boolean {
    try {
      if (this.liveDenies.reasonFor(tool) !== undefined) return false;
      return !isHidden(this.#policy, tool);
    } catch {
      return false;
    }
  }

  /** Whether deciding needs the tool's inputSchema; on an engine error, `decide` fails closed. */
  needsInputSchema(tool: string): boolean {
    try {
      return needsInputSchema(this.#policy, tool);
    } catch {
      return false;
    }
  }
}
