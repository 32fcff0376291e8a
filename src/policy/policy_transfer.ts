/**
 * A checked policy, cut into small messages for the trip from the policy worker to the main
 * thread and put back together there: receiving one big message would stall the main thread
 * for as long as the whole policy takes to copy (hundreds of ms for 90,000 entries).
 */
import type { LocatedError } from "./load_error.ts";
import type { PolicyParts } from "./compile.ts";
import type { Policy, Rule } from "./schema.ts";

/** `load`: check this text (read and hashed by the main thread) of the policy at `path`. */
export type WorkerRequest = { kind: "load"; path: string; text: string } | { kind: "next" };

export type WorkerReply =
  | { kind: "errors"; errors: LocatedError[] }
  | { kind: "failed"; message: string }
  | { kind: "head"; policy: Omit<Policy, "tools" | "hide"> }
  | { kind: "hide"; names: string[] }
  | { kind: "tools"; entries: [string, Rule[]][] }
  | { kind: "done" };

/** About this many values (scalars, mappings, lists) per message. */
const VALUES_PER_MESSAGE = 2_000;

/** The messages that carry `policy`: head, hide lists, tool entries (a long one split), done. */
export function* policyMessages(policy: Policy): Generator<WorkerReply> {
  const { tools, hide, ...head } = policy;
  yield { kind: "head", policy: head };
  for (let i = 0; i < (hide?.length ?? 0); i += VALUES_PER_MESSAGE) {
    yield { kind: "hide", names: hide!.slice(i, i + VALUES_PER_MESSAGE) };
  }
  let entries: [string, Rule[]][] = [];
  let weight = 0;
  for (const [key, entry] of Object.entries(tools)) {
    if (weight >= VALUES_PER_MESSAGE) {
      yield { kind: "tools", entries };
      entries = [];
      weight = 0;
    }
    let rules: Rule[] = [];
    entries.push([key, rules]);
    weight++;
    for (const rule of entry.rules) {
      if (weight >= VALUES_PER_MESSAGE) {
        yield { kind: "tools", entries };
        rules = [];
        entries = [[key, rules]];
        weight = 1;
      }
      rules.push(rule);
      weight += countValues(rule);
    }
  }
  if (entries.length > 0) yield { kind: "tools", entries };
  yield { kind: "done" };
}

/** Puts the messages of `policyMessages` back together, one message at a time. */
export class PolicyAssembler {
  #head: Omit<Policy, "tools" | "hide"> | null = null;
  #hide: string[] | null = null;
  readonly #tools = new Map<string, { rules: Rule[] }>();

  /**
   * Takes one message; returns the whole policy after the last, its entries in a Map (a plain
   * object of 90,000 keys takes 100 ms to build in one go).
   */
  add(reply: Exclude<WorkerReply, { kind: "errors" | "failed" }>): PolicyParts | null {
    switch (reply.kind) {
      case "head":
        this.#head = reply.policy;
        return null;
      case "hide":
        for (const name of reply.names) (this.#hide ??= []).push(name);
        return null;
      case "tools":
        for (const [key, rules] of reply.entries) {
          const known = this.#tools.get(key);
          if (known) { for (const rule of rules) known.rules.push(rule); }
          else this.#tools.set(key, { rules });
        }
        return null;
      case "done":
        if (!this.#head) throw new Error("The policy worker sent no head");
        return { ...this.#head, ...(this.#hide ? { hide: this.#hide } : {}), tools: this.#tools };
    }
  }
}

function countValues(value: unknown): number {
  if (typeof value !== "object" || value === null) return 1;
  let count = 1;
  for (const inner of Array.isArray(value) ? value : Object.values(value)) {
    count += countValues(inner);
  }
  return count;
}

/** A checked policy as the cache keeps it: the parts, its entries as a list of pairs. */
export interface StoredPolicy extends Omit<Policy, "tools"> {
  readonly tools: readonly (readonly [string, { readonly rules: readonly Rule[] }])[];
}

/** The parts in a form JSON keeps (a Map is not), without building a 90,000-key object. */
export function storedPolicy(parts: PolicyParts): StoredPolicy {
  return { ...parts, tools: [...parts.tools.entries()] };
}

/** The parts back from their stored form; null when it is not one (an entry of another form). */
export function partsOfStored(stored: unknown): PolicyParts | null {
  if (typeof stored !== "object" || stored === null) return null;
  const tools = (stored as { tools?: unknown }).tools;
  if (!Array.isArray(tools)) return null;
  const map = new Map<string, { rules: Rule[] }>();
  for (const pair of tools) {
    if (!Array.isArray(pair) || typeof pair[0] !== "string") return null;
    const entry = pair[1] as { rules?: unknown } | null;
    if (typeof entry !== "object" || entry === null || !Array.isArray(entry.rules)) return null;
    map.set(pair[0], { rules: entry.rules as Rule[] });
  }
  return { ...(stored as Omit<Policy, "tools">), tools: map };
}
