/**
 * Quotas, counters and fleet denies in Redis (`--state redis://HOST:PORT/DB`, `rediss://` for
 * TLS), shared by a fleet of proxies: one Lua script per take (EVALSHA, EVAL when the server
 * lost it) checks and takes all or nothing on the server's clock. A take answers with a
 * promise; the gate denies one that errs or is late. The client reconnects with backoff and
 * refuses commands while disconnected, so a lost server is a quick, clear denial.
 *
 * `peek` (status views) answers from the last figures seen for each quota: those of the last
 * take or of a background read, refreshed at most once a second while someone looks.
 */
import { Redis } from "ioredis";
import type { Plan, QuotaTake, TakeFacts } from "../engine/plan.ts";
import { RedisFleetDenies } from "./redis_fleet_denies.ts";
import { DEFAULT_PREFIX, RedisKeys } from "./redis_keys.ts";
import { PEEK_SCRIPT, RELEASE_SCRIPT, TAKE_SCRIPT } from "./redis_scripts.ts";
import { encodeRelease, encodeTake } from "./redis_take_args.ts";
import type { QuotaView, StateBackend, StoreHealth } from "./state_backend.ts";

export interface RedisBackendOptions {
  /** The hash tag of every key (`--state-prefix`, default `intercept`). */
  prefix?: string;
  /** The take budget: connecting gives up after a few of them. */
  timeoutMs?: number;
  /** Connection news (lost, back), once per change. */
  log?: (level: "info" | "warn", message: string) => void;
  now?: () => number;
}

interface Receipt {
  readonly token: string;
  readonly slots: readonly string[];
}

interface Seen {
  remaining: number;
  /** Local time the quota is whole again. */
  wholeAt: number;
  /** Local time of these figures. */
  seenAt: number;
}

type ScriptClient = Redis & {
  interceptTake(...args: (string | number)[]): Promise<string[]>;
  interceptRelease(...args: (string | number)[]): Promise<number>;
  interceptPeek(...args: (string | number)[]): Promise<string[]>;
};

/** Figures older than this are read again while a status view asks for them. */
const PEEK_FRESH_MS = 1_000;
/** Quotas whose last figures are kept for status views. */
const MAX_SEEN = 10_000;
/** Sessions whose keys are remembered, to delete them when the session ends. */
const MAX_TRACKED_SESSIONS = 10_000;

export class RedisBackend implements StateBackend {
  readonly description: string;
  readonly fleet: RedisFleetDenies;
  readonly #client: ScriptClient;
  readonly #keys: RedisKeys;
  readonly #tokenBase = crypto.randomUUID().slice(0, 8);
  #tokenCount = 0;
  readonly #now: () => number;
  readonly #seen = new Map<string, Seen>();
  readonly #sessionKeys = new Map<string, Set<string>>();
  #refreshing = false;
  #latencyMs: number | null = null;
  #error: string | null = null;
  #wasReady = false;
  #closed = false;

  constructor(url: string, options: RedisBackendOptions = {}) {
    const parsed = new URL(url);
    this.description = describeUrl(parsed);
    this.#keys = new RedisKeys(options.prefix ?? DEFAULT_PREFIX);
    this.#now = options.now ?? Date.now;
    const timeoutMs = options.timeoutMs ?? 250;
    const log = options.log ?? (() => {});
    this.#client = new Redis(url, {
      lazyConnect: true,
      // Commands fail at once while disconnected: a take is denied, not queued.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: Math.max(1_000, timeoutMs * 4),
      retryStrategy: (times) => Math.min(2_000, 50 * 2 ** Math.min(times, 6)) + jitter(),
      connectionName: "intercept",
    }) as ScriptClient;
    this.#client.defineCommand("interceptTake", { lua: TAKE_SCRIPT });
    this.#client.defineCommand("interceptRelease", { lua: RELEASE_SCRIPT });
    this.#client.defineCommand("interceptPeek", { lua: PEEK_SCRIPT });
    this.#client.on("error", (error: Error) => {
      this.#error = error.message || String(error);
    });
    this.#client.on("ready", () => {
      this.#error = null;
      if (this.#wasReady) log("info", `State store ${this.description} is reachable again`);
      this.#wasReady = true;
    });
    this.#client.on("close", () => {
      if (this.#wasReady && !this.#closed) {
        log("warn", `Lost the state store ${this.description}; reconnecting`);
      }
    });
    this.fleet = new RedisFleetDenies(this.#client, this.#keys, (ms) => this.#answered(ms));
  }

  /** Connects, waiting at most `ms`; false (and reconnecting in the background) when late. */
  async connect(ms: number): Promise<boolean> {
    const connected = this.#client.connect().then(() => true, (error: Error) => {
      this.#error = error.message;
      return false;
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
    try {
      return await Promise.race([connected, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  take(plan: Plan, _now: number): Promise<TakeFacts> {
    const unreachable = this.#unreachable();
    if (unreachable) return Promise.reject(unreachable);
    const token = `${this.#tokenBase}:${(this.#tokenCount++).toString(36)}`;
    const { keys, args } = encodeTake(plan, this.#keys, token);
    this.#track(keys);
    const started = performance.now();
    return this.#client.interceptTake(keys.length, ...keys, ...args).then((reply) => {
      this.#answered(performance.now() - started);
      return this.#facts(plan, keys, reply, token);
    }, (error: Error) => {
      throw this.#failed(error);
    });
  }

  async release(plan: Plan, receipt: unknown): Promise<void> {
    const { token, slots } = receipt as Receipt;
    const { keys, args } = encodeRelease(plan, this.#keys, token, slots);
    await this.#client.interceptRelease(keys.length, ...keys, ...args);
  }

  peek(quotas: readonly QuotaTake[], now: number): QuotaView[] {
    const stale: QuotaTake[] = [];
    const views = quotas.map((quota) => {
      const seen = this.#seen.get(this.#keys.quota(quota.spec, quota.scope));
      if (!seen || now - seen.seenAt > PEEK_FRESH_MS) stale.push(quota);
      if (!seen || now >= seen.wholeAt) return { remaining: quota.spec.max, resetInMs: 0 };
      return { remaining: seen.remaining, resetInMs: seen.wholeAt - now };
    });
    if (stale.length > 0) this.#refresh(stale);
    return views;
  }

  endSession(session: string): void {
    const keys = this.#sessionKeys.get(session);
    this.#sessionKeys.delete(session);
    if (!keys || keys.size === 0 || this.#unreachable()) return;
    for (const key of keys) this.#seen.delete(key);
    // Left to expire (within their window) when the server is away.
    this.#client.unlink(...keys).catch(() => {});
  }

  async reset(entryKey?: string): Promise<void> {
    const unreachable = this.#unreachable();
    if (unreachable) throw unreachable;
    for (const pattern of this.#keys.entryPatterns(entryKey)) {
      let cursor = "0";
      do {
        const [next, found] = await this.#client.scan(cursor, "MATCH", pattern, "COUNT", 1000);
        if (found.length > 0) await this.#client.unlink(...found);
        cursor = next;
      } while (cursor !== "0");
    }
    this.#seen.clear();
  }

  health(): StoreHealth {
    return {
      kind: "redis",
      reachable: this.#client.status === "ready",
      latencyMs: this.#latencyMs,
      error: this.#client.status === "ready"
        ? null
        : this.#error ?? `connection ${this.#client.status}`,
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    try {
      if (this.#client.status === "ready") await this.#client.quit();
    } catch {
      // Going anyway.
    }
    this.#client.disconnect();
  }

  #facts(plan: Plan, keys: readonly string[], reply: string[], token: string): TakeFacts {
    const at = Number(reply[0]);
    const deniedStep = Number(reply[1]);
    const taken = reply[3] === "1";
    const statuses: { remaining: number; resetInMs: number }[] = [];
    const exhausted: { quota: number; retryAfterMs: number }[] = [];
    const local = this.#now();
    for (let i = 0; i < plan.quotas.length; i++) {
      const remaining = Number(reply[4 + 3 * i]);
      const resetInMs = Number(reply[5 + 3 * i]);
      const retryAfterMs = Number(reply[6 + 3 * i]);
      statuses.push({ remaining, resetInMs });
      if (retryAfterMs > 0) exhausted.push({ quota: i, retryAfterMs });
      this.#remember(keys[i], { remaining, wholeAt: local + resetInMs, seenAt: local });
    }
    const denied = deniedStep >= 0 ? { step: deniedStep, check: Number(reply[2]) } : null;
    const facts: TakeFacts = { denied, exhausted, statuses, taken, at };
    if (!taken) return facts;
    const receipt: Receipt = { token, slots: reply.slice(4 + 3 * plan.quotas.length) };
    return { ...facts, receipt };
  }

  /** Reads the figures of quotas a status view asked for, one read at a time. */
  #refresh(quotas: readonly QuotaTake[]): void {
    if (this.#refreshing || this.#unreachable()) return;
    this.#refreshing = true;
    const chosen = quotas.slice(0, 64);
    const keys = chosen.map(({ spec, scope }) => this.#keys.quota(spec, scope));
    const args = chosen.flatMap(({ spec }) => [spec.max, spec.windowMs]);
    this.#client.interceptPeek(keys.length, ...keys, ...args).then((reply) => {
      const local = this.#now();
      keys.forEach((key, i) => {
        const remaining = Number(reply[2 * i]);
        this.#remember(key, {
          remaining,
          wholeAt: local + Number(reply[2 * i + 1]),
          seenAt: local,
        });
      });
    }, () => {}).finally(() => this.#refreshing = false);
  }

  #remember(key: string, seen: Seen): void {
    this.#seen.delete(key);
    this.#seen.set(key, seen);
    if (this.#seen.size > MAX_SEEN) this.#seen.delete(this.#seen.keys().next().value!);
  }

  /** Remembers the keys of per-session scopes, to delete them when the session ends. */
  #track(keys: readonly string[]): void {
    for (const key of keys) {
      const scope = decodeURIComponent(key.slice(key.lastIndexOf(":") + 1));
      if (!scope.startsWith("s:")) continue;
      const session = scope.slice(2);
      let set = this.#sessionKeys.get(session);
      if (!set) {
        if (this.#sessionKeys.size >= MAX_TRACKED_SESSIONS) {
          this.#sessionKeys.delete(this.#sessionKeys.keys().next().value!);
        }
        this.#sessionKeys.set(session, set = new Set());
      }
      set.add(key);
    }
  }

  #unreachable(): Error | null {
    if (this.#client.status === "ready") return null;
    const detail = this.#error ? `: ${this.#error}` : ` (connection ${this.#client.status})`;
    return new Error(`${this.description} is not reachable${detail}`);
  }

  #answered(ms: number): void {
    this.#latencyMs = ms;
  }

  #failed(error: Error): Error {
    this.#error = error.message;
    return new Error(`${this.description}: ${error.message}`);
  }
}

/** The URL without credentials: `redis://host:6379/0`. */
export function describeUrl(url: URL): string {
  const db = url.pathname.replace(/^\//, "") || "0";
  return `${url.protocol}//${url.host}/${db}`;
}

function jitter(): number {
  return Math.floor(Math.random() * 50);
}
