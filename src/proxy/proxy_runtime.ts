/**
 * A running proxy as operators see it: the policy gate, the live controls (deny, allow,
 * reset, reload), per-tool counts, recent decisions and the event stream the control socket,
 * the dashboard and the audit log follow. Implements the control server's `ControlTarget`.
 */
import type { ControlTarget } from "../control/control_target.ts";
import type {
  ApprovalNotice,
  ApprovalView,
  ControlEvent,
  DecisionNotice,
  DenyScope,
  ReloadResult,
  StatusResult,
  StoreView,
  ToolView,
} from "../control/protocol.ts";
import { postureOf } from "../engine/posture.ts";
import type { CompiledPolicy } from "../policy/compiled.ts";
import { formatLocatedError, PolicyLoadError } from "../policy/load_error.ts";
import type { ApprovalEvent, Approvals } from "./approvals.ts";
import { approvalsListed, approvalView } from "./approval_view.ts";
import { DenyScopes } from "./deny_scopes.ts";
import type { DecisionEvent } from "./events.ts";
import type { PolicyGate } from "./policy_gate.ts";

export interface RuntimeInfo {
  version: string;
  upstreamCommand: string[];
  upstreamPid: number | null;
  controlPath: string | null;
  state: string;
  /** `--name`; null to use the server's own name. */
  name?: string | null;
  /** Who the agent is, as far as this transport can tell (`uid:NAME` over stdio). */
  principal?: string | null;
}

export interface ProxyRuntimeOptions {
  gate: PolicyGate;
  session: string;
  info: RuntimeInfo;
  /** Loads the policy again from where it came from. */
  loadPolicy: () => Promise<CompiledPolicy>;
  /** The tools the upstream listed, as far as the proxy has seen. */
  upstreamTools: () => readonly string[];
  clientInfo: () => { name: string; version: string } | null;
  /** The sessions an HTTP proxy serves (default: the one stdio session). */
  sessions?: () => StatusResult["sessions"];
  /** Requests taken on and not answered yet. */
  inflight?: () => number;
  /** The server's `serverInfo` from `initialize` or `server/discover`, once it answered. */
  serverInfo?: () => { name: string; version: string } | null;
  /** Calls held for a human (none when omitted). */
  approvals?: Approvals;
  /** Called when the set of tools the agent may see changed. */
  onToolsChanged: () => void;
  /** How many recent decisions a new subscriber gets first. */
  backfill?: number;
  /** The machine-wide deny file (`ctl deny --all`); null or absent: none. */
  machineDeniesPath?: string | null;
}

const DEFAULT_BACKFILL = 200;
const MAX_COUNTED_TOOLS = 1_000;
const OTHER_TOOLS = "(other tools)";

export class ProxyRuntime implements ControlTarget {
  readonly #options: ProxyRuntimeOptions;
  readonly #gate: PolicyGate;
  readonly #listeners = new Set<(event: ControlEvent) => void>();
  /** A ring of the most recent decisions: `#recentNext` is where the next one goes. */
  readonly #recent: DecisionNotice[] = [];
  #recentNext = 0;
  readonly #counts = new Map<string, { allowed: number; denied: number }>();
  readonly #liveDeniedAt = new Map<string, number>();
  readonly #liveDeniedBy = new Map<string, string>();
  readonly #startedAt: number;
  #loadedAt: number;
  #lastError: string | null = null;
  #reloading: Promise<ReloadResult> | null = null;
  #reloadNext: Promise<ReloadResult> | null = null;
  /** Machine-wide and fleet denies. */
  readonly scopes: DenyScopes;

  constructor(options: ProxyRuntimeOptions) {
    this.#options = options;
    this.#gate = options.gate;
    this.#startedAt = this.#loadedAt = options.gate.now();
    this.scopes = new DenyScopes(options.gate, {
      machinePath: options.machineDeniesPath ?? null,
      onChange: (notice) => {
        this.#decidersChanged();
        this.#options.onToolsChanged();
        this.#emit({ method: "control", params: notice });
      },
    });
  }

  /** Tells every subscriber what became of a held call (or that one is held). */
  recordApproval(event: ApprovalEvent): void {
    this.#emit({
      method: "approval",
      params: {
        ts: this.#gate.now(),
        event: event.type.slice("approval_".length) as ApprovalNotice["event"],
        approval: approvalView(event.approval),
        by: event.type === "approval_requested" ? null : event.by,
        reason: event.type === "approval_requested" ? null : event.reason,
      },
    });
  }

  /**
   * The held calls, soonest to expire first, as many as fit in one control line (with room to
   * spare): the rest still reach subscribers one `approval` notification each.
   */
  approvals(): ApprovalView[] {
    return approvalsListed(this.#options.approvals?.list() ?? []);
  }

  approve(id: string, by: string): boolean {
    return this.#options.approvals?.approve(id, by) ?? false;
  }

  reject(id: string, by: string, reason: string | null): boolean {
    return this.#options.approvals?.reject(id, by, reason) ?? false;
  }

  /** Records a decision the proxy made, and tells every subscriber. */
  recordDecision(event: DecisionEvent): void {
    const { decision } = event;
    // The agent picks tool names: past a bound, unknown ones share one row.
    const key = this.#counts.has(decision.tool) || this.#counts.size < MAX_COUNTED_TOOLS
      ? decision.tool
      : OTHER_TOOLS;
    let counts = this.#counts.get(key);
    if (!counts) this.#counts.set(key, counts = { allowed: 0, denied: 0 });
    if (decision.allowed) counts.allowed++;
    else counts.denied++;
    const notice: DecisionNotice = {
      ts: event.ts,
      session: event.session,
      client: event.client,
      principal: event.principal,
      tool: decision.tool,
      decision: decision.allowed ? "allow" : "deny",
      rule: decision.rule,
      reason: decision.reason,
      latencyMs: event.latencyMs,
      retryAfterMs: decision.retryAfterMs,
      quotas: decision.quotas as DecisionNotice["quotas"],
    };
    if (event.round > 1) notice.round = event.round;
    // A ring, not push and shift: this runs on every call.
    const size = this.#options.backfill ?? DEFAULT_BACKFILL;
    this.#recent[this.#recentNext] = notice;
    this.#recentNext = (this.#recentNext + 1) % size;
    if (this.#listeners.size > 0) this.#emit({ method: "decision", params: notice });
  }

  /** Requests taken on and not answered yet. */
  inflight(): number {
    return this.#options.inflight?.() ?? 0;
  }

  subscribe(listener: (event: ControlEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  recentDecisions(): DecisionNotice[] {
    return [...this.#recent.slice(this.#recentNext), ...this.#recent.slice(0, this.#recentNext)];
  }

  status(): StatusResult {
    const policy = this.#gate.policy;
    const { info } = this.#options;
    const server = this.#options.serverInfo?.() ?? null;
    return {
      name: info.name ?? server?.name ?? null,
      server,
      pid: Deno.pid,
      version: info.version,
      startedAt: this.#startedAt,
      upstream: { command: info.upstreamCommand, pid: info.upstreamPid },
      policy: {
        source: policy.source,
        description: policy.description,
        defaultPosture: policy.defaultPosture,
        loadedAt: this.#loadedAt,
        lastError: this.#lastError,
      },
      state: info.state,
      store: this.#storeView(),
      sessions: this.#options.sessions?.() ?? [{
        id: this.#options.session,
        client: this.#options.clientInfo(),
        startedAt: this.#startedAt,
      }],
      liveDenies: [
        ...this.scopes.list(),
        ...[...this.#gate.liveDenies].map(([tool, reason]) => ({
          tool,
          reason,
          at: this.#liveDeniedAt.get(tool) ?? this.#startedAt,
          by: this.#liveDeniedBy.get(tool) ?? null,
          scope: "proxy" as const,
        })),
      ],
      tools: this.#toolNames().map((name) => this.#toolView(name)),
      controlPath: info.controlPath,
    };
  }

  /** Reloads the policy file; an invalid one is refused and the old one stays in force. */
  reload(): Promise<ReloadResult> {
    // A reload asked for while one runs may follow a newer edit: it gets one more load after
    // the current one, shared by everyone who asked meanwhile.
    if (this.#reloading) {
      return this.#reloadNext ??= this.#reloading.catch(() => {}).then(() => {
        this.#reloadNext = null;
        return this.reload();
      });
    }
    return this.#reloading = this.#reload().finally(() => this.#reloading = null);
  }

  async #reload(): Promise<ReloadResult> {
    const before = this.#gate.policy;
    let next: CompiledPolicy;
    try {
      next = await this.#options.loadPolicy();
    } catch (error) {
      this.#lastError = error instanceof PolicyLoadError
        ? error.errors.map(formatLocatedError).join("\n")
        : (error as Error).message;
      this.#emit({
        method: "policy",
        params: {
          ts: this.#gate.now(),
          event: "reload_failed",
          source: before.source,
          error: this.#lastError,
          toolsChanged: false,
        },
      });
      throw error;
    }
    this.#gate.replacePolicy(next);
    this.#decidersChanged();
    this.#loadedAt = this.#gate.now();
    this.#lastError = null;
    const toolsChanged = visibilityKey(before) !== visibilityKey(next);
    if (toolsChanged) this.#options.onToolsChanged();
    this.#emit({
      method: "policy",
      params: {
        ts: this.#loadedAt,
        event: "reloaded",
        source: next.source,
        error: null,
        toolsChanged,
      },
    });
    return { ok: true, source: next.source, toolsChanged };
  }

  deny(
    tool: string,
    reason: string | null,
    by: string | null = null,
    scope: DenyScope = "proxy",
  ): void | Promise<void> {
    const text = reason?.trim() || `Tool "${tool}" was stopped by an operator`;
    if (scope !== "proxy") return this.scopes.deny(tool, text, by, scope);
    const changed = this.#gate.liveDenies.get(tool) !== text;
    this.#gate.liveDenies.set(tool, text);
    this.#liveDeniedAt.set(tool, this.#gate.now());
    if (by) this.#liveDeniedBy.set(tool, by);
    else this.#liveDeniedBy.delete(tool);
    if (changed) {
      this.#decidersChanged();
      this.#options.onToolsChanged();
    }
    this.#emit({
      method: "control",
      params: { ts: this.#gate.now(), event: "deny", tool, reason: text, by },
    });
  }

  allow(
    tool: string,
    by: string | null = null,
    scope: DenyScope = "proxy",
  ): boolean | Promise<boolean> {
    if (scope === "fleet") return this.scopes.allow(tool, "fleet");
    if (scope === "machine") {
      // Machine-wide allow lifts this proxy's own deny of the pattern too.
      const own = this.allow(tool, by) as boolean;
      return this.scopes.allow(tool, "machine").then((lifted) => lifted || own);
    }
    if (!this.#gate.liveDenies.delete(tool)) return false;
    this.#liveDeniedAt.delete(tool);
    this.#liveDeniedBy.delete(tool);
    this.#decidersChanged();
    this.#options.onToolsChanged();
    this.#emit({
      method: "control",
      params: { ts: this.#gate.now(), event: "allow", tool, reason: null, by },
    });
    return true;
  }

  reset(tool: string | null, by: string | null = null): void {
    if (tool === null) this.#gate.backend.reset();
    else {
      const entry = this.#gate.entryKeyOf(tool);
      if (entry !== null) this.#gate.backend.reset(entry);
    }
    this.#emit({
      method: "control",
      params: { ts: this.#gate.now(), event: "reset", tool, reason: null, by },
    });
  }

  /**
   * The policy or a live deny changed: every call held for a human is decided again, and one no
   * longer held under its rule does not wait out its timeout (allowed, denied, or held anew).
   */
  #decidersChanged(): void {
    this.#options.approvals?.reconsider();
  }

  #storeView(): StoreView {
    const { backend } = this.#gate;
    const health = backend.health?.() ??
      { kind: "memory" as const, reachable: true, latencyMs: null, error: null };
    return { ...health, description: backend.description, failOpen: this.#gate.failOpen };
  }

  #emit(event: ControlEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A broken listener must not stop the others, nor the proxy.
      }
    }
  }

  #toolNames(): string[] {
    const names = new Set(this.#options.upstreamTools());
    for (const name of this.#gate.policy.exact.keys()) names.add(name);
    for (const name of this.#counts.keys()) names.add(name);
    for (const layer of [this.#gate.liveDenies, this.#gate.machineDenies, this.#gate.fleetDenies]) {
      for (const name of layer.exactNames()) names.add(name);
    }
    return [...names].sort();
  }

  #toolView(name: string): ToolView {
    const counts = this.#counts.get(name);
    const view: ToolView = {
      name,
      posture: postureOf(this.#gate.policy, name, this.#gate.denyLookup),
      allowed: counts?.allowed ?? 0,
      denied: counts?.denied ?? 0,
      quotas: this.#gate.quotaViews(name, this.#options.session) as ToolView["quotas"],
    };
    const layers = [
      ["fleet", this.#gate.fleetDenies],
      ["machine", this.#gate.machineDenies],
      ["proxy", this.#gate.liveDenies],
    ] as const;
    for (const [scope, layer] of layers) {
      const pattern = layer.patternFor(name);
      if (pattern === undefined) continue;
      view.liveDenyReason = layer.get(pattern)!;
      if (pattern !== name) view.liveDenyPattern = pattern;
      view.liveDenyScope = scope;
      break;
    }
    return view;
  }
}

/** What decides which tools an agent sees: `hide` and `default`. */
function visibilityKey(policy: CompiledPolicy): string {
  return JSON.stringify([
    policy.defaultPosture,
    policy.hideAll,
    [...policy.hiddenNames].sort(),
    policy.hiddenGlobs.map((glob) => glob.source).sort(),
  ]);
}
