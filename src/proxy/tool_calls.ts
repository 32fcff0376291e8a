/**
 * The path of one `tools/call`: wait for what deciding needs (the policy, the tool's schema, a
 * digest for an MRTR retry) while every other message flows, decide, then forward or deny.
 * A call cancelled while it waits is never decided, so it takes no quota.
 */
import type { Decision } from "../engine/decision.ts";
import type { ApprovedRule } from "../engine/evaluate.ts";
import type { ClientRequest, ClientRequests } from "./client_requests.ts";
import { type CallIdentity, type Continuations, isRetry } from "./continuations.ts";
import { denialResult } from "./denial.ts";
import { type ClientInfo, envelopeLike, type Era, eraResult, modernClientInfo } from "./era.ts";
import type { CallTrace, CallTracer, DecisionEvent } from "./events.ts";
import { ErrorCode, errorResponse, type JsonObject, resultResponse } from "./jsonrpc.ts";
import type { PolicyGate, Verdict } from "./policy_gate.ts";
import type { Approvals } from "./approvals.ts";
import { type ClientQuestion, type HeldCall, HeldCalls, type HoldResult } from "./held_calls.ts";
import { argsDigest, loadedSha256, loadSha256 } from "./sha256.ts";
import type { ClientRelay } from "./client_relay.ts";
import type { ProxyLogger } from "./upstream_link.ts";
import type { UpstreamSide } from "./upstream_side.ts";

export interface ToolCallsOptions {
  gate: PolicyGate;
  requests: ClientRequests;
  side: UpstreamSide;
  relay: ClientRelay;
  /** MRTR continuations: shared by every session of a principal. */
  continuations: Continuations;
  /** Calls held for a human: shared by every session of the proxy. */
  approvals: Approvals;
  /** Sends a notification to the client, toward `origin` (progress while a call is held). */
  notify: (message: JsonObject, origin: unknown) => void;
  /** Asks the client something (a legacy elicitation). */
  askClient: (method: string, params: JsonObject, origin: unknown) => ClientQuestion;
  /** The legacy client declared elicitation in its `initialize`. */
  legacyElicitation: () => boolean;
  session: string;
  principal: string;
  self: ClientInfo;
  /** The client named by the legacy `initialize`. */
  legacyClient: () => ClientInfo | null;
  log: ProxyLogger;
  onDecision?: (event: DecisionEvent) => void;
  /** An allowed call was answered upstream (or failed there), after `durationMs`. */
  onUpstreamAnswer?: (durationMs: number, ok: boolean) => void;
  tracer?: CallTracer | null;
  now: () => number;
}

interface Call {
  readonly request: ClientRequest;
  readonly message: JsonObject;
  readonly params: JsonObject;
  readonly tool: string;
  readonly args: Record<string, unknown>;
  readonly era: Era;
  readonly client: ClientInfo | null;
  readonly started: number;
  readonly trace: CallTrace | null;
  /** Set once computed (MRTR only). */
  digest: string | null;
  /** MRTR: which round of one logical call (1 for its first attempt). */
  round: number;
  /** An MRTR retry of a call already admitted: it takes no quota. */
  continuation: boolean;
  inputSchema: unknown;
  /** The rules humans approved the call under (it is then decided again with them). */
  approvals: ApprovedRule[];
}

/** The `tools/call`s of one session: decided, held, forwarded, their MRTR retries matched. */
export class ToolCalls {
  readonly #options: ToolCallsOptions;
  readonly #continuations: Continuations;
  readonly #held: HeldCalls;
  /** The client named by the latest modern call (display only). */
  lastClient: ClientInfo | null = null;

  constructor(options: ToolCallsOptions) {
    this.#options = options;
    this.#continuations = options.continuations;
    this.#held = new HeldCalls({
      approvals: options.approvals,
      requests: options.requests,
      session: options.session,
      principal: options.principal,
      notify: options.notify,
      askClient: options.askClient,
      legacyElicitation: options.legacyElicitation,
    });
  }

  /** Decides a call whose params are sound and whose id is reserved; `hold` is the policy load. */
  handle(
    request: ClientRequest,
    message: JsonObject,
    era: Era,
    hold: Promise<void> | null,
  ): Promise<void> | void {
    const params = message.params as JsonObject;
    const modernClient = era === "modern" ? modernClientInfo(params) : null;
    if (modernClient) this.lastClient = modernClient;
    const call: Call = {
      request,
      message,
      params,
      tool: params.name as string,
      args: (params.arguments ?? {}) as Record<string, unknown>,
      era,
      client: modernClient ?? this.#options.legacyClient(),
      started: performance.now(),
      trace: this.#options.tracer?.start(params.name as string, params._meta) ?? null,
      digest: null,
      round: 1,
      continuation: false,
      inputSchema: undefined,
      approvals: [],
    };
    if (hold) return hold.then(() => this.#decide(call));
    return this.#decide(call);
  }

  #decide(call: Call): Promise<void> | void {
    if (call.request.done) return;
    if (call.era === "modern" && this.#held.isApprovalRetry(call.params)) {
      return this.#approvalAnswered(call);
    }
    if (call.era === "modern" && isRetry(call.params)) return this.#decideRetry(call);
    if (this.#needsSchema(call.tool)) return this.#withSchema(call);
    return this.#finish(call);
  }

  async #decideRetry(call: Call): Promise<void> {
    await this.#digestOf(call);
    if (call.request.done) return;
    const taken = this.#continuations.take(this.#identity(call), call.params);
    if (taken === null) {
      this.#options.log.warn(
        `A call of "${call.tool}" carries inputResponses or requestState that continue no ` +
          `call the proxy relayed: it is decided as a new call`,
      );
    }
    call.round = taken?.round ?? 1;
    call.continuation = taken !== null;
    // A human's yes holds for every round of the logical call it was given for.
    if (taken) call.approvals.push(...taken.approvals);
    if (this.#needsSchema(call.tool)) return this.#withSchema(call);
    await this.#finish(call);
  }

  /** A modern client's retry with its user's answer to the proxy's approval question. */
  async #approvalAnswered(call: Call): Promise<void> {
    const result = await this.#held.answer(this.#heldCall(call));
    if (call.request.done) return;
    if (result === null) {
      // It answers no question the proxy asked: a new call, decided (and held) as any other.
      if (this.#needsSchema(call.tool)) return this.#withSchema(call);
      return await this.#finish(call);
    }
    const rule = result.kind === "granted" || result.kind === "denied" ? result.rule ?? null : null;
    await this.#afterHold(call, result, rule);
  }

  async #withSchema(call: Call): Promise<void> {
    const meta = call.era === "modern" ? envelopeLike(call.params, this.#options.self) : null;
    try {
      call.inputSchema = await this.#options.side.schemas.get(call.tool, meta);
    } catch (error) {
      this.#options.log.error(
        `Cannot fetch tools/list to check "${call.tool}": ${(error as Error).message}`,
      );
      call.inputSchema = undefined; // Unknown schema: the rule denies (fail closed).
    }
    await this.#finish(call);
  }

  /** What the gate decides a call on. */
  #callInput(call: Call) {
    return {
      tool: call.tool,
      args: call.args,
      session: this.#options.session,
      principal: this.#options.principal,
      inputSchema: call.inputSchema,
      continuation: call.continuation,
      approved: call.approvals,
    };
  }

  #finish(call: Call): Promise<void> | void {
    if (this.#gone(call)) return;
    const verdict = this.#options.gate.decide(this.#callInput(call));
    if (verdict instanceof Promise) return verdict.then((found) => this.#act(call, found));
    return this.#act(call, verdict);
  }

  /** True (and the call ended) when it was cancelled, or cannot go up: then it is not decided. */
  #gone(call: Call): boolean {
    const { request } = call;
    const { link } = this.#options.side;
    if (request.done) {
      call.trace?.end(); // cancelled, or the upstream ended, while it waited
      return true;
    }
    if (link.ended === null) return false;
    call.trace?.end();
    // Refused before it is decided: a call that cannot go up takes no quota.
    this.#options.requests.answer(
      request,
      errorResponse(
        request.id,
        ErrorCode.internalError,
        `The MCP server has exited (code ${link.ended})`,
      ),
    );
    return true;
  }

  #act(call: Call, verdict: Verdict): Promise<void> | void {
    const { request } = call;
    const { gate, relay } = this.#options;
    if (verdict.held) {
      if (this.#gone(call)) return;
      call.trace?.held(verdict.held.rule.name);
      return this.#held.hold(this.#heldCall(call), verdict.held).then((result) =>
        this.#afterHold(call, result, verdict.held.rule.name)
      );
    }
    const { decision } = verdict;
    if (this.#gone(call)) {
      // Withdrawn while the store answered: what it took goes back, and nothing is recorded.
      if (decision.allowed) void gate.release(verdict);
      return;
    }
    const decidedAt = this.#record(call, decision);
    call.trace?.decided(decision.allowed, decision.rule);
    if (!decision.allowed) return this.#deny(call, decision);
    const round = call.round;
    const hook = call.era === "modern"
      ? (response: JsonObject) => this.#afterAnswer(call, response, round)
      : undefined;
    if (hook) void loadSha256(); // ready by the time the answer comes
    // The clock is read once for the decision and the time upstream: a read is a runtime call.
    call.trace?.forwarded();
    relay.send(request, call.message, "call", hook, (ok) => {
      call.trace?.answered(ok);
      this.#options.onUpstreamAnswer?.(performance.now() - decidedAt, ok);
    });
  }

  /** What a human said of a held call: decide it again as approved, or deny it. */
  #afterHold(call: Call, result: HoldResult, rule: string | null): Promise<void> | void {
    if (result.kind === "answered" || call.request.done) return call.trace?.end();
    if (result.kind === "granted" || result.kind === "released") {
      // A yes covers its own rule only: another rule may still hold the call for someone else.
      // Released (the policy changed while it waited), it is decided under the policy as it is.
      if (result.kind === "granted" && rule !== null) {
        call.approvals.push({ rule, by: result.source });
      }
      if (this.#needsSchema(call.tool) && call.inputSchema === undefined) {
        return this.#withSchema(call);
      }
      return this.#finish(call);
    }
    const decision: Decision = {
      allowed: false,
      tool: call.tool,
      rule: rule ?? "approval",
      reason: result.reason,
      retryAfterMs: null,
      quotas: [],
    };
    this.#record(call, decision);
    call.trace?.decided(false, decision.rule);
    this.#deny(call, decision);
  }

  #deny(call: Call, decision: Decision): void {
    call.trace?.end();
    const { request } = call;
    this.#options.requests.answer(
      request,
      resultResponse(request.id, eraResult(call.era, denialResult(decision))),
    );
  }

  #heldCall(call: Call): HeldCall {
    return {
      request: call.request,
      params: call.params,
      tool: call.tool,
      args: call.args,
      era: call.era,
      client: call.client?.name ?? null,
      digest: () => this.#digestOf(call),
      stillHeld: (held) => this.#options.gate.stillHolds(this.#callInput(call), held),
    };
  }

  async #digestOf(call: Call): Promise<string> {
    return call.digest ??= argsDigest(await loadSha256(), call.args);
  }

  /** An `input_required` answer opens a continuation before the client can retry. */
  #afterAnswer(call: Call, response: JsonObject, round: number): Promise<void> | void {
    const result = response.result as JsonObject;
    if (result.resultType !== "input_required") return;
    const hash = loadedSha256();
    if (hash) {
      call.digest ??= argsDigest(hash, call.args);
      return this.#remember(call, result, round);
    }
    return loadSha256().then((hash) => {
      call.digest ??= argsDigest(hash, call.args);
      this.#remember(call, result, round);
    });
  }

  #remember(call: Call, result: JsonObject, round: number): void {
    if (!this.#continuations.remember(this.#identity(call), result, round, call.approvals)) {
      this.#options.log.warn(
        `A call of "${call.tool}" asked for input ${round} times: its next retry pays as a new call`,
      );
    }
  }

  #identity(call: Call): CallIdentity {
    return { principal: this.#options.principal, tool: call.tool, argsDigest: call.digest! };
  }

  #needsSchema(tool: string): boolean {
    return this.#options.gate.needsInputSchema(tool) && this.#options.gate.isVisible(tool);
  }

  /** Tells the observers of the decision; returns when it was made (`performance.now()`). */
  #record(call: Call, decision: Decision): number {
    const decidedAt = performance.now();
    try {
      this.#options.onDecision?.({
        ts: this.#options.now(),
        session: this.#options.session,
        principal: this.#options.principal,
        client: call.client?.name ?? null,
        era: call.era,
        decision,
        args: call.args,
        latencyMs: decidedAt - call.started,
        round: call.round,
      });
    } catch (error) {
      this.#options.log.error(`A decision observer failed: ${(error as Error).message}`);
    }
    return decidedAt;
  }
}
