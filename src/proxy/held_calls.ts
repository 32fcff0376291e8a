/**
 * Calls a `require_approval` rule holds, on their way to a human: operators see them in the
 * approval list; the agent's user is asked through the client when the rule allows it and the
 * client can ask (a modern client: an `input_required` result whose elicitation asks to
 * approve, matched on its retry like an MRTR continuation; a legacy client: an
 * `elicitation/create` request of the proxy's own). Meanwhile the call is parked: its id stays
 * reserved, every other message flows, and a progress token gets keep-alives.
 */
import type { Held } from "../engine/plan.ts";
import { formatDuration } from "../policy/windows.ts";
import type { ApprovalOutcome, Approvals, ApprovalSource } from "./approvals.ts";
import type { ClientRequest, ClientRequests } from "./client_requests.ts";
import { type Era, META } from "./era.ts";
import { isObject, type JsonObject, resultResponse } from "./jsonrpc.ts";

/** A question the proxy put to the client. */
export interface ClientQuestion {
  readonly answer: Promise<JsonObject>;
  /** No answer is wanted any more: the client is told (`notifications/cancelled`). */
  cancel(): void;
}

export interface HeldCall {
  readonly request: ClientRequest;
  readonly params: JsonObject;
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly era: Era;
  readonly client: string | null;
  readonly digest: () => Promise<string>;
  /** Whether the policy as it now stands still holds the call as `held` did (takes nothing). */
  readonly stillHeld: (held: Held) => boolean;
}

/** What became of a held call: granted (decide it again, approved), denied, or already answered. */
export type HoldResult =
  | {
    readonly kind: "granted";
    readonly by: string;
    readonly source: ApprovalSource;
    /** The rule it was granted under, when the caller does not know it (a modern retry). */
    readonly rule?: string;
  }
  | { readonly kind: "denied"; readonly reason: string; readonly rule?: string }
  /** The policy changed and no longer holds it so: decide it again under the policy as it is. */
  | { readonly kind: "released" }
  | { readonly kind: "answered" };

export interface HeldCallsOptions {
  approvals: Approvals;
  requests: ClientRequests;
  session: string;
  principal: string;
  /** Sends a notification to the client, toward the request's origin. */
  notify: (message: JsonObject, origin: unknown) => void;
  /** Asks the client something (legacy elicitation): its result, or cancel the question. */
  askClient: (method: string, params: JsonObject, origin: unknown) => ClientQuestion;
  /** The legacy client declared elicitation in its `initialize`. */
  legacyElicitation: () => boolean;
}

/** The key of the proxy's own input request in a modern `input_required` result. */
export const APPROVAL_INPUT = "intercept-approval";
const STATE_PREFIX = "intercept-approval.";
const KEEP_ALIVE_MS = 15_000;
const BY_USER = "user via client";
/** Characters of the arguments' JSON the user's question shows; it says how many more there are. */
const SHOWN_ARGS_CHARS = 500;

export class HeldCalls {
  readonly #options: HeldCallsOptions;

  constructor(options: HeldCallsOptions) {
    this.#options = options;
  }

  /** A retry that answers the proxy's own approval question (not the server's). */
  isApprovalRetry(params: JsonObject): boolean {
    return typeof params.requestState === "string" && params.requestState.startsWith(STATE_PREFIX);
  }

  /** Holds a call; resolves with what a human (or the clock) said. */
  async hold(call: HeldCall, held: Held): Promise<HoldResult> {
    const { approvals } = this.#options;
    const { rule, approval } = held;
    const reason = rule.reason ?? `A human must approve "${call.tool}"`;
    const way = approval.from.includes("user") ? this.#userWay(call) : null;
    if (!approval.from.includes("operator") && way === null) {
      return {
        kind: "denied",
        reason: `${reason}: approval could not be asked (the client cannot ask its user, and ` +
          `no operator may answer)`,
      };
    }
    const opened = approvals.open(
      {
        tool: call.tool,
        args: call.args,
        session: this.#options.session,
        principal: this.#options.principal,
        client: call.client,
        rule: rule.name,
        reason: rule.reason,
        from: approval.from,
        askingUser: way !== null,
      },
      approval.timeoutMs,
      { stillHeld: () => call.stillHeld(held), bytes: JSON.stringify(call.args).length },
    );
    if ("refused" in opened) return { kind: "denied", reason: `${reason}: ${opened.refused}` };
    if (way === "modern") {
      return await this.#askModern(call, opened.id, opened.outcome, {
        rule: rule.name,
        reason,
        timeoutMs: approval.timeoutMs,
      });
    }
    const { request } = call;
    request.onEnd = () => approvals.withdraw(opened.id);
    const stopKeepAlive = this.#keepAlive(call, approval.timeoutMs);
    const asking = way === "legacy"
      ? this.#askLegacy(call, reason, opened.id, approval.from.includes("operator"))
      : null;
    try {
      return describe(await opened.outcome, reason, approval.timeoutMs);
    } finally {
      stopKeepAlive();
      asking?.cancel();
    }
  }

  /**
   * A modern client's retry carrying its user's answer: the held call's fate; null when the
   * retry answers no question of the proxy's, or one forgotten (it is then a new call). The
   * proxy's answer and state are taken out of the retry either way, so the server never sees
   * them.
   */
  async answer(call: HeldCall): Promise<HoldResult | null> {
    const { approvals } = this.#options;
    const token = call.params.requestState as string;
    const responses = isObject(call.params.inputResponses) ? call.params.inputResponses : {};
    const replied = Object.hasOwn(responses, APPROVAL_INPUT);
    const said = userAnswer(responses[APPROVAL_INPUT]);
    // Whatever it answers, the proxy's state and answer never reach the server.
    stripApproval(call.params);
    const retry = {
      principal: this.#options.principal,
      tool: call.tool,
      digest: await call.digest(),
    };
    if (!replied && approvals.waits.pending(token, retry)) {
      // A retry without the answer, the approval still open: asked again (MRTR), not a no.
      this.#putQuestion(call, token, approvals.waits.pending(token, retry)!.reason);
      return { kind: "answered" };
    }
    // Taken at once after the digest: a second retry with the same token finds nothing.
    const wait = approvals.waits.take(token, retry);
    if (!wait) return null;
    // The first answer wins: an operator's or the clock's, if it came before this one.
    if (said) approvals.approve(wait.approvalId, BY_USER, "user");
    else if (replied) approvals.reject(wait.approvalId, BY_USER, "declined", "user");
    const outcome = await wait.outcome;
    // Released by a policy change before the answer came: still, a user's no stops the call.
    const final: ApprovalOutcome = outcome.kind === "released" && replied && !said
      ? { kind: "rejected", by: BY_USER, reason: "declined" }
      : outcome;
    return describe(final, wait.reason, wait.timeoutMs, wait.rule);
  }

  #userWay(call: HeldCall): "modern" | "legacy" | null {
    if (call.era === "modern") {
      const meta = isObject(call.params._meta) ? call.params._meta : {};
      const capabilities = meta[META.clientCapabilities];
      return isObject(capabilities) && takesForms(capabilities.elicitation) ? "modern" : null;
    }
    return this.#options.legacyElicitation() ? "legacy" : null;
  }

  async #askModern(
    call: HeldCall,
    approvalId: string,
    outcome: Promise<ApprovalOutcome>,
    held: { rule: string; reason: string; timeoutMs: number },
  ): Promise<HoldResult> {
    const token = `${STATE_PREFIX}${approvalId}.${randomHex(16)}`;
    this.#options.approvals.waits.add(token, {
      approvalId,
      principal: this.#options.principal,
      tool: call.tool,
      digest: await call.digest(),
      ...held,
      outcome,
    });
    this.#putQuestion(call, token, held.reason);
    return { kind: "answered" };
  }

  /** Answers a modern call with the approval question, under `token`. */
  #putQuestion(call: HeldCall, token: string, reason: string): void {
    const { request } = call;
    this.#options.requests.answer(
      request,
      resultResponse(request.id, {
        resultType: "input_required",
        inputRequests: { [APPROVAL_INPUT]: elicitation(call, reason, "modern") },
        requestState: token,
      }),
    );
  }

  #askLegacy(
    call: HeldCall,
    reason: string,
    approvalId: string,
    operatorMay: boolean,
  ): ClientQuestion {
    const { approvals, askClient } = this.#options;
    const question = askClient(
      "elicitation/create",
      elicitation(call, reason, "legacy").params,
      call.request.origin,
    );
    question.answer.then(
      (result) => {
        if (userAnswer(result)) approvals.approve(approvalId, BY_USER, "user");
        else approvals.reject(approvalId, BY_USER, "declined", "user");
      },
      (error: Error) => {
        // The client could not ask: an operator may still answer; if none may, nobody will.
        if (operatorMay) return;
        approvals.reject(
          approvalId,
          BY_USER,
          `the client could not ask its user: ${error.message.slice(0, 200)}`,
          "user",
        );
      },
    );
    return question;
  }

  #keepAlive(call: HeldCall, timeoutMs: number): () => void {
    const meta = isObject(call.params._meta) ? call.params._meta : null;
    const token = meta?.progressToken;
    if (typeof token !== "string" && typeof token !== "number") return () => {};
    const started = Date.now();
    const timer = setInterval(() => {
      this.#options.notify({
        jsonrpc: "2.0",
        method: "notifications/progress",
        params: {
          progressToken: token,
          progress: Math.round((Date.now() - started) / 1000),
          total: Math.round(timeoutMs / 1000),
          message: `Waiting for a human to approve "${call.tool}"`,
        },
      }, call.request.origin);
    }, KEEP_ALIVE_MS);
    return () => clearInterval(timer);
  }
}

function describe(
  outcome: ApprovalOutcome,
  reason: string,
  timeoutMs: number,
  rule?: string,
): HoldResult {
  switch (outcome.kind) {
    case "granted":
      return { kind: "granted", by: outcome.by, source: outcome.source, rule };
    case "rejected":
      return {
        kind: "denied",
        reason: `${reason}: rejected by ${outcome.by}` +
          (outcome.reason ? ` (${outcome.reason})` : ""),
        rule,
      };
    case "expired":
      return {
        kind: "denied",
        reason: `${reason}: no answer within ${formatDuration(timeoutMs)}`,
        rule,
      };
    case "withdrawn":
      return { kind: "answered" };
    case "released":
      return { kind: "released" };
  }
}

/** The question put to the user: approve this call, yes or no. */
function elicitation(
  call: HeldCall,
  reason: string,
  era: Era,
): { method: string; params: JsonObject } {
  const shown = visible(JSON.stringify(call.args));
  const cut = shown.length > SHOWN_ARGS_CHARS
    ? `${shown.slice(0, SHOWN_ARGS_CHARS)}… (${
      shown.length - SHOWN_ARGS_CHARS
    } more characters not shown)`
    : shown;
  const params: JsonObject = {
    message: `${reason}. Allow the agent to call "${visible(call.tool)}" with ${cut}?`,
    requestedSchema: {
      type: "object",
      properties: {
        approve: { type: "boolean", title: "Approve", description: "Let this call run" },
      },
      required: ["approve"],
    },
  };
  if (era === "modern") params.mode = "form";
  return { method: "elicitation/create", params };
}

/**
 * Agent text as the user must see it: characters that show nothing or turn the text around
 * (Unicode format characters: bidi controls, zero-width ones) as `\uXXXX` escapes.
 */
function visible(text: string): string {
  return text.replace(
    /\p{Cf}/gu,
    (char) => `\\u${char.codePointAt(0)!.toString(16).padStart(4, "0")}`,
  );
}

/**
 * Whether an `elicitation` capability takes form-mode questions (the proxy's are forms): `{}`
 * means forms (as before modes existed), `{form: {}}` says so; `{url: {}}` alone does not, and a
 * client must not be sent a mode it did not declare.
 */
export function takesForms(elicitation: unknown): boolean {
  return isObject(elicitation) &&
    (isObject(elicitation.form) || !Object.hasOwn(elicitation, "url"));
}

/** True only for an accepted form that says `approve: true`. */
function userAnswer(result: unknown): boolean {
  return isObject(result) && result.action === "accept" && isObject(result.content) &&
    result.content.approve === true;
}

/** The retry as the server must see it: without the proxy's own question and state. */
function stripApproval(params: JsonObject): void {
  delete params.requestState;
  if (isObject(params.inputResponses)) {
    const { [APPROVAL_INPUT]: _, ...rest } = params.inputResponses;
    if (Object.keys(rest).length === 0) delete params.inputResponses;
    else params.inputResponses = rest;
  }
}

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
