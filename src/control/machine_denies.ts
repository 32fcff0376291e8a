/**
 * The machine-wide live denies file (`denies.json` in the control folder): written by whoever
 * changes it (ctl, a proxy asked by the dashboard) under a lock file, atomically (a new file
 * renamed over the old) and 0600; read by every proxy at start and whenever it changes. What
 * is read is checked like any outside input: a file that is not ours, not private, too large
 * or malformed is an error naming the file and the problem.
 */
import {
  checkDenyCount,
  checkedDeny,
  type FleetDeny,
  MAX_DENY_REASON,
} from "../state/fleet_denies.ts";
import { MAX_LIVE_DENIES } from "../state/live_denies.ts";
import { parentOf, prepareControlFolder } from "./control_folder.ts";

export class MachineDenyFileError extends Error {
  override name = "MachineDenyFileError";
}

/** Largest file read: every deny at its longest reason, with room to spare. */
export const MAX_MACHINE_DENY_BYTES = MAX_LIVE_DENIES * (MAX_DENY_REASON + 600);
const FORMAT = 1;
/** A lock older than this was left by a writer that died. */
const STALE_LOCK_MS = 10_000;
const LOCK_WAIT_MS = 3_000;
const LOCK_PAUSE_MS = 10;

/** The denies in the file; none when there is no file. Throws `MachineDenyFileError`. */
export async function readMachineDenies(path: string): Promise<FleetDeny[]> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw new MachineDenyFileError(`Cannot read ${path}: ${(error as Error).message}`);
  }
  const uid = Deno.uid();
  if (!info.isFile) throw new MachineDenyFileError(`${path} is not a regular file`);
  if (uid !== null && info.uid !== null && info.uid !== uid) {
    throw new MachineDenyFileError(`${path} belongs to uid ${info.uid}, not to this user`);
  }
  if (((info.mode ?? 0) & 0o077) !== 0) {
    throw new MachineDenyFileError(`${path} is open to other users (it must be 0600)`);
  }
  if (info.size > MAX_MACHINE_DENY_BYTES) {
    throw new MachineDenyFileError(
      `${path} is ${info.size} bytes; at most ${MAX_MACHINE_DENY_BYTES}`,
    );
  }
  return parseMachineDenies(await Deno.readTextFile(path), path);
}

export function parseMachineDenies(text: string, path: string): FleetDeny[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new MachineDenyFileError(`${path} is not JSON: ${(error as Error).message}`);
  }
  const { version, denies } = (data ?? {}) as { version?: unknown; denies?: unknown };
  if (version !== FORMAT || !Array.isArray(denies)) {
    throw new MachineDenyFileError(
      `${path} is not a machine deny file (expected {"version": ${FORMAT}, "denies": [...]})`,
    );
  }
  try {
    checkDenyCount(denies.length, path);
    const list = denies.map((deny, i) => checkedDeny(deny, `${path}: deny ${i + 1}`));
    if (new Set(list.map((deny) => deny.pattern)).size !== list.length) {
      throw new TypeError(`${path} names a pattern twice`);
    }
    return list;
  } catch (error) {
    throw new MachineDenyFileError((error as Error).message);
  }
}

/**
 * Changes the file under its lock: `change` gets the denies in force and returns the new list,
 * or null to leave the file as it is. Returns the denies in force afterwards.
 */
export async function updateMachineDenies(
  path: string,
  change: (denies: FleetDeny[]) => FleetDeny[] | null,
): Promise<FleetDeny[]> {
  await prepareControlFolder(parentOf(path));
  const unlock = await lock(`${path}.lock`);
  try {
    const current = await readMachineDenies(path);
    const next = change(current);
    if (next === null) return current;
    checkDenyCount(next.length, path);
    const temp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    const text = JSON.stringify({ version: FORMAT, denies: next }, null, 1) + "\n";
    await Deno.writeTextFile(temp, text, { createNew: true, mode: 0o600 });
    try {
      await Deno.chmod(temp, 0o600);
      await Deno.rename(temp, path);
    } catch (error) {
      await Deno.remove(temp).catch(() => {});
      throw error;
    }
    return next;
  } finally {
    await unlock();
  }
}

/** The list with `deny` in force (its reason replaced when the pattern is there); null when unchanged. */
export function withDeny(denies: readonly FleetDeny[], deny: FleetDeny): FleetDeny[] | null {
  const index = denies.findIndex((d) => d.pattern === deny.pattern);
  if (index >= 0 && denies[index].reason === deny.reason) return null;
  if (index < 0 && denies.length >= MAX_LIVE_DENIES) {
    throw new RangeError(
      `Cannot deny "${deny.pattern}" machine-wide: ${MAX_LIVE_DENIES} live denies are in force`,
    );
  }
  return index < 0 ? [...denies, deny] : denies.map((d, i) => i === index ? deny : d);
}

/** The list without `pattern`; null when it was not there. */
export function withoutDeny(denies: readonly FleetDeny[], pattern: string): FleetDeny[] | null {
  const next = denies.filter((deny) => deny.pattern !== pattern);
  return next.length === denies.length ? null : next;
}

async function lock(path: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const file = await Deno.open(path, { createNew: true, write: true, mode: 0o600 });
      file.close();
      return () => Deno.remove(path).catch(() => {});
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    const stale = await Deno.lstat(path).then(
      (info) => Date.now() - (info.mtime?.getTime() ?? 0) > STALE_LOCK_MS,
      () => false,
    );
    if (stale) await Deno.remove(path).catch(() => {});
    else if (Date.now() > deadline) {
      throw new MachineDenyFileError(
        `${path} has been locked for ${LOCK_WAIT_MS / 1000} s by another writer; try again`,
      );
    } else await new Promise((resolve) => setTimeout(resolve, LOCK_PAUSE_MS));
  }
}
