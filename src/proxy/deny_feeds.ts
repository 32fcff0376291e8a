/**
 * Keeps the machine-wide and fleet denies of a running proxy in step with their sources: the
 * machine file is read at start and again whenever it changes (a folder watch, and a check
 * every second in case a watch misses one); the fleet's are read at start and their version
 * polled twice a second. A source that cannot be trusted fails closed: an invalid machine file
 * or fleet list denies every tool, saying why; fleet denies never read deny every call until
 * the store answers (unless `--state-fail open`).
 */
import { parentOf, prepareControlFolder } from "../control/control_folder.ts";
import { readMachineDenies } from "../control/machine_denies.ts";
import type { FleetDeny, FleetDenyStore } from "../state/fleet_denies.ts";
import type { PolicyGate } from "./policy_gate.ts";
import { watchPolicyFile } from "./policy_watcher.ts";
import type { DenyScopes } from "./deny_scopes.ts";

export interface DenyFeedsOptions {
  log: { warn(message: string): void; error(message: string): void; info(message: string): void };
  /** Fleet version polls (default 500 ms: a fleet deny holds everywhere within a second). */
  fleetPollMs?: number;
  /** Machine file checks besides the watch (default 1000 ms). */
  machinePollMs?: number;
  /** How long the start waits for the fleet's denies (default 2000 ms). */
  fleetStartMs?: number;
}

export interface DenyFeeds {
  stop(): void;
}

export async function startDenyFeeds(
  gate: PolicyGate,
  scopes: DenyScopes,
  options: DenyFeedsOptions,
): Promise<DenyFeeds> {
  const stops: (() => void)[] = [];
  const machine = scopes.machinePath;
  if (machine !== null) stops.push(await feedMachine(machine, gate, scopes, options));
  const fleet = gate.backend.fleet;
  if (fleet) stops.push(await feedFleet(fleet, gate, scopes, options));
  return { stop: () => stops.forEach((stop) => stop()) };
}

async function feedMachine(
  path: string,
  gate: PolicyGate,
  scopes: DenyScopes,
  options: DenyFeedsOptions,
): Promise<() => void> {
  let last = "";
  const read = async () => {
    const stamp = await fileStamp(path);
    if (stamp === last) return;
    last = stamp;
    try {
      scopes.replace("machine", await readMachineDenies(path));
    } catch (error) {
      const message = (error as Error).message;
      options.log.error(`Machine-wide denies unusable, every tool is denied: ${message}`);
      scopes.replace("machine", [
        denyAll(gate, `The machine-wide deny file is unusable (${message}); fix or remove it`),
      ]);
    }
  };
  await read();
  let watcher: { close(): void } | null = null;
  try {
    await prepareControlFolder(parentOf(path));
    watcher = watchPolicyFile(path, () => void read(), { debounceMs: 20 });
  } catch (error) {
    options.log.warn(
      `Cannot watch ${path} (${(error as Error).message}); checking it every second instead`,
    );
  }
  const timer = repeat(() => read(), options.machinePollMs ?? 1_000);
  return () => {
    watcher?.close();
    timer.stop();
  };
}

async function feedFleet(
  fleet: FleetDenyStore,
  gate: PolicyGate,
  scopes: DenyScopes,
  options: DenyFeedsOptions,
): Promise<() => void> {
  const where = gate.backend.description;
  gate.fleetUnknown = `the fleet's live denies have not been read from ${where} yet`;
  let version: string | null = null;
  let failing = false;
  const read = async () => {
    try {
      const now = await fleet.version();
      if (now !== version) {
        const list = await fleet.list();
        try {
          scopes.replace("fleet", list.denies);
        } catch (error) {
          throw new TypeError((error as Error).message);
        }
        version = list.version;
      }
      gate.fleetUnknown = null;
      if (failing) options.log.info(`Fleet denies from ${where} are read again`);
      failing = false;
    } catch (error) {
      const message = (error as Error).message;
      if (error instanceof TypeError || error instanceof RangeError) {
        // The store answered with something no proxy writes: stop everything, say why.
        version = null;
        gate.fleetUnknown = null;
        scopes.replace("fleet", [
          denyAll(gate, `The fleet's live denies in ${where} are unusable (${message})`),
        ]);
      } else if (gate.fleetUnknown !== null) {
        gate.fleetUnknown = `the fleet's live denies could not be read from ${where}: ${message}`;
      }
      if (!failing) {
        options.log.warn(`Cannot read the fleet's live denies from ${where}: ${message}`);
      }
      failing = true;
    }
  };
  await Promise.race([read(), new Promise((r) => setTimeout(r, options.fleetStartMs ?? 2_000))]);
  const timer = repeat(() => read(), options.fleetPollMs ?? 500);
  return () => timer.stop();
}

function denyAll(gate: PolicyGate, reason: string): FleetDeny {
  return { pattern: "*", reason, by: null, at: gate.now() };
}

/** What identifies one version of the file: gone, or its inode, size and time. */
async function fileStamp(path: string): Promise<string> {
  try {
    const info = await Deno.lstat(path);
    return `${info.ino}:${info.size}:${info.mtime?.getTime()}:${info.ctime?.getTime?.() ?? ""}`;
  } catch {
    return "none";
  }
}

/** Runs `work` every `ms`, one run at a time, without keeping the process alive. */
function repeat(work: () => Promise<void>, ms: number): { stop(): void } {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const next = () => {
    if (stopped) return;
    const id = setTimeout(() => work().finally(next), ms);
    Deno.unrefTimer(id as unknown as number);
    timer = id;
  };
  next();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
