/** The fleet's live denies in Redis: a hash (pattern → JSON) and a version bumped with it. */
import type { Redis } from "ioredis";
import {
  checkDenyCount,
  checkedDeny,
  type FleetDeny,
  type FleetDenyList,
  type FleetDenyStore,
} from "./fleet_denies.ts";
import { MAX_LIVE_DENIES } from "./live_denies.ts";
import type { RedisKeys } from "./redis_keys.ts";
import { DENY_SCRIPT } from "./redis_scripts.ts";

type DenyClient = Redis & { interceptDeny(...args: (string | number)[]): Promise<number> };

export class RedisFleetDenies implements FleetDenyStore {
  readonly #client: DenyClient;

  constructor(
    client: Redis,
    readonly keys: RedisKeys,
    readonly onAnswer: (ms: number) => void,
  ) {
    this.#client = client as DenyClient;
    this.#client.defineCommand("interceptDeny", { lua: DENY_SCRIPT });
  }

  async version(): Promise<string> {
    const started = performance.now();
    const version = await this.#client.get(this.keys.deniesVersion);
    this.onAnswer(performance.now() - started);
    return version ?? "0";
  }

  async list(): Promise<FleetDenyList> {
    const replies = await this.#client.multi()
      .get(this.keys.deniesVersion)
      .hgetall(this.keys.denies)
      .exec();
    if (!replies) throw new Error("the read of the fleet denies was aborted");
    for (const [error] of replies) if (error) throw error;
    const version = (replies[0][1] as string | null) ?? "0";
    const hash = replies[1][1] as Record<string, string>;
    const entries = Object.entries(hash);
    checkDenyCount(entries.length, `Redis key ${this.keys.denies}`);
    const denies = entries.map(([pattern, json]) => {
      let value: unknown;
      try {
        value = JSON.parse(json);
      } catch {
        throw new TypeError(`fleet deny "${pattern}" in ${this.keys.denies} is not JSON`);
      }
      return checkedDeny({ ...value as object, pattern }, `fleet deny "${pattern}"`);
    });
    denies.sort((a, b) => a.at - b.at);
    return { version, denies };
  }

  async set(deny: FleetDeny): Promise<void> {
    const value = JSON.stringify({ reason: deny.reason, by: deny.by, at: deny.at });
    const outcome = await this.#client.interceptDeny(
      2,
      this.keys.denies,
      this.keys.deniesVersion,
      "set",
      deny.pattern,
      value,
      MAX_LIVE_DENIES,
    );
    if (outcome === -1) {
      throw new RangeError(
        `Cannot deny "${deny.pattern}" fleet-wide: ${MAX_LIVE_DENIES} fleet denies are in ` +
          `force already`,
      );
    }
  }

  async delete(pattern: string): Promise<boolean> {
    const gone = await this.#client.interceptDeny(
      2,
      this.keys.denies,
      this.keys.deniesVersion,
      "del",
      pattern,
      "",
      MAX_LIVE_DENIES,
    );
    return gone > 0;
  }
}
