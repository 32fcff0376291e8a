/**
 * The live denies that hold beyond this proxy: machine-wide ones (the control folder's file)
 * and the fleet's (the shared state store). Each layer is replaced whole from its source; a
 * change made here is written to the source first, then read back, so that what is in force
 * is always what the source says.
 */
import {
  readMachineDenies,
  updateMachineDenies,
  withDeny,
  withoutDeny,
} from "../control/machine_denies.ts";
import { RefusedRequest } from "../control/control_target.ts";
import type { ControlNotice, StatusResult } from "../control/protocol.ts";
import { denyChanges, type FleetDeny } from "../state/fleet_denies.ts";
import { LiveDenies } from "../state/live_denies.ts";
import type { PolicyGate } from "./policy_gate.ts";

export type WideScope = "machine" | "fleet";

export interface DenyScopesOptions {
  /** The machine deny file; null when this proxy has no control folder to share. */
  machinePath: string | null;
  /** A deny or allow that came into force (or out of it), from here or from the source. */
  onChange: (notice: ControlNotice) => void;
}

export class DenyScopes {
  readonly #gate: PolicyGate;
  readonly #options: DenyScopesOptions;
  readonly #entries: Record<WideScope, readonly FleetDeny[]> = { machine: [], fleet: [] };

  constructor(gate: PolicyGate, options: DenyScopesOptions) {
    this.#gate = gate;
    this.#options = options;
  }

  get machinePath(): string | null {
    return this.#options.machinePath;
  }

  async deny(pattern: string, reason: string, by: string | null, scope: WideScope) {
    const deny: FleetDeny = { pattern, reason, by, at: this.#gate.now() };
    if (scope === "machine") {
      const path = this.#machine();
      this.replace("machine", await updateMachineDenies(path, (list) => withDeny(list, deny)));
      return;
    }
    const fleet = this.#fleet();
    await fleet.set(deny);
    this.replace("fleet", (await fleet.list()).denies);
  }

  async allow(pattern: string, scope: WideScope): Promise<boolean> {
    let lifted = false;
    if (scope === "machine") {
      const path = this.#machine();
      const after = await updateMachineDenies(path, (list) => {
        const next = withoutDeny(list, pattern);
        lifted = next !== null;
        return next;
      });
      this.replace("machine", after);
      return lifted;
    }
    const fleet = this.#fleet();
    lifted = await fleet.delete(pattern);
    this.replace("fleet", (await fleet.list()).denies);
    return lifted;
  }

  /** Reads the machine file again (a proxy asked to by an operator tool that wrote it). */
  async reloadMachine(): Promise<void> {
    if (this.#options.machinePath === null) return;
    this.replace("machine", await readMachineDenies(this.#options.machinePath));
  }

  /** Puts `denies` in force for `scope`, telling what changed. */
  replace(scope: WideScope, denies: readonly FleetDeny[]): void {
    const before = this.#entries[scope];
    const changes = denyChanges(before, denies);
    if (changes.length === 0) return;
    const next = new LiveDenies();
    for (const deny of denies) next.set(deny.pattern, deny.reason);
    if (scope === "machine") this.#gate.machineDenies = next;
    else this.#gate.fleetDenies = next;
    this.#entries[scope] = denies;
    const ts = this.#gate.now();
    for (const { deny, event } of changes) {
      this.#options.onChange({
        ts,
        event,
        tool: deny.pattern,
        reason: event === "deny" ? deny.reason : null,
        by: deny.by,
        scope,
      });
    }
  }

  /** Every machine and fleet deny, fleet first, for status. */
  list(): StatusResult["liveDenies"] {
    return (["fleet", "machine"] as const).flatMap((scope) =>
      this.#entries[scope].map(({ pattern, reason, at, by }) => ({
        tool: pattern,
        reason,
        at,
        by,
        scope,
      }))
    );
  }

  #machine(): string {
    if (this.#options.machinePath === null) {
      throw new RefusedRequest("This proxy has no control folder for machine-wide denies");
    }
    return this.#options.machinePath;
  }

  #fleet() {
    const fleet = this.#gate.backend.fleet;
    if (!fleet) {
      throw new RefusedRequest(
        `Fleet denies live in a shared state store, and this proxy keeps its state in ` +
          `${this.#gate.backend.description}: start the fleet with --state sqlite:PATH or ` +
          `--state redis://HOST:PORT/DB`,
      );
    }
    return fleet;
  }
}
