/**
 * `ctl deny --all` / `ctl allow --all` (the machine: ctl writes the control folder's deny file
 * itself, so that proxies started later obey it, then tells the running ones) and
 * `ctl --fleet deny` (the fleet: one proxy on a shared state store writes it there).
 */
import { UsageError } from "../cli/args.ts";
import { updateMachineDenies, withDeny, withoutDeny } from "../control/machine_denies.ts";
import { machineDeniesPath } from "../control/socket_path.ts";
import { askEverywhere } from "./ctl_targets.ts";

/** Writes a machine-wide deny (or lifts one) into the file; returns whether it changed. */
export async function writeMachineDeny(
  method: "deny" | "allow",
  tool: string,
  reason: string | undefined,
  by: string,
): Promise<{ path: string; changed: boolean }> {
  const path = machineDeniesPath();
  let changed = false;
  await updateMachineDenies(path, (denies) => {
    const next = method === "deny"
      ? withDeny(denies, {
        pattern: tool,
        reason: reason?.trim() || `Tool "${tool}" was stopped by an operator`,
        by,
        at: Date.now(),
      })
      : withoutDeny(denies, tool);
    changed = next !== null;
    return next;
  });
  return { path, changed };
}

/**
 * The proxy that carries a fleet deny to its store: the only one running, or among several,
 * one on a shared store when every shared one uses the same store. Else a usage error.
 */
export async function fleetProxy(paths: readonly string[], timeoutMs: number): Promise<string> {
  if (paths.length === 1) return paths[0];
  const targets = await askEverywhere(paths, { method: "status" }, {
    timeoutMs: Math.min(timeoutMs, 2_000),
    idempotentAllow: false,
    by: null,
  });
  const shared = targets.filter((target) =>
    target.status?.store !== undefined && target.status.store.kind !== "memory"
  );
  const stores = new Set(shared.map((target) => target.status!.store!.description));
  if (stores.size === 1) return shared[0].path;
  const lines = targets.map((target) =>
    `  ${target.status?.store?.description ?? target.status?.state ?? "?"}  ${target.path}`
  );
  throw new UsageError(
    stores.size === 0
      ? `None of the ${paths.length} running proxies uses a shared state store (--state ` +
        `sqlite:PATH or redis://...):\n${lines.join("\n")}`
      : `The running proxies use ${stores.size} different state stores; pick one with ` +
        `--control PATH:\n${lines.join("\n")}`,
    "ctl",
  );
}
