/**
 * Live denies kept in a shared state store (`ctl --fleet deny`): every proxy on the store reads
 * them (polling a version that changes with them) and honours them within a second, proxies
 * that start later included. What a store holds is checked on read like any outside input.
 */
import { MAX_LIVE_DENIES, MAX_LIVE_DENY_PATTERN } from "./live_denies.ts";

export interface FleetDeny {
  readonly pattern: string;
  readonly reason: string;
  /** Who asked (`ann via ctl`), when they said. */
  readonly by: string | null;
  /** When it was set, ms since the epoch. */
  readonly at: number;
}

export interface FleetDenyList {
  /** Changes whenever the denies do. */
  readonly version: string;
  readonly denies: readonly FleetDeny[];
}

/** The fleet's live denies in a shared store. */
export interface FleetDenyStore {
  /** The version alone: cheap, polled often. */
  version(): Promise<string>;
  list(): Promise<FleetDenyList>;
  /** Sets (or replaces the reason of) one deny. Refuses past `MAX_LIVE_DENIES` (RangeError). */
  set(deny: FleetDeny): Promise<void>;
  /** Lifts one deny; false when there was none. */
  delete(pattern: string): Promise<boolean>;
}

/** Longest reason kept; an operator writes a sentence, not a file. */
export const MAX_DENY_REASON = 1_000;
/** Longest `by`. */
export const MAX_DENY_BY = 200;

/**
 * A deny read from a store (or a file), checked: a pattern within bounds, a reason, a time.
 * Throws a TypeError naming the problem.
 */
export function checkedDeny(raw: unknown, where: string): FleetDeny {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new TypeError(`${where}: expected an object with pattern, reason and at`);
  }
  const { pattern, reason, by, at } = raw as Record<string, unknown>;
  if (
    typeof pattern !== "string" || pattern.length === 0 || pattern.length > MAX_LIVE_DENY_PATTERN
  ) {
    throw new TypeError(`${where}: pattern must be 1 to ${MAX_LIVE_DENY_PATTERN} characters`);
  }
  if (typeof reason !== "string" || reason.length > MAX_DENY_REASON) {
    throw new TypeError(`${where}: reason must be a string of at most ${MAX_DENY_REASON}`);
  }
  if (by !== undefined && by !== null && (typeof by !== "string" || by.length > MAX_DENY_BY)) {
    throw new TypeError(`${where}: by must be a string of at most ${MAX_DENY_BY} characters`);
  }
  if (typeof at !== "number" || !Number.isFinite(at)) {
    throw new TypeError(`${where}: at must be a time in ms`);
  }
  return { pattern, reason, by: (by as string | null | undefined) ?? null, at };
}

/** Refuses a list longer than a proxy holds. */
export function checkDenyCount(count: number, where: string): void {
  if (count > MAX_LIVE_DENIES) {
    throw new RangeError(`${where} holds ${count} live denies; at most ${MAX_LIVE_DENIES}`);
  }
}

/** What changed between two lists: patterns denied (new or with a new reason) and lifted. */
export function denyChanges(
  before: readonly FleetDeny[],
  after: readonly FleetDeny[],
): { deny: FleetDeny; event: "deny" | "allow" }[] {
  const old = new Map(before.map((deny) => [deny.pattern, deny]));
  const changes: { deny: FleetDeny; event: "deny" | "allow" }[] = [];
  for (const deny of after) {
    const was = old.get(deny.pattern);
    old.delete(deny.pattern);
    if (!was || was.reason !== deny.reason) changes.push({ deny, event: "deny" });
  }
  for (const deny of old.values()) changes.push({ deny, event: "allow" });
  return changes;
}
