/**
 * Calls held for a human, end to end: the real proxy process in front of server-everything
 * (legacy) and the modern test server, real SDK clients, and `intercept ctl` as the operator.
 * An operator approves, rejects, or lets the wait run out; the agent's user answers through
 * their client (legacy: an elicitation of the proxy's own; modern: input_required); a
 * cancelled call withdraws its approval. Quota is taken only when a call is approved.
 */
import { equal, match, ok } from "node:assert/strict";
import { ctl, heldCall } from "./approval_support.ts";
import { type ClientKind, connectAs, type ElicitAnswer, modernServer } from "./clients.ts";
import {
  delay,
  DENIAL_PREFIX,
  EVERYTHING,
  type JsonObject,
  policyPath,
  proxyArgs,
  textOf,
} from "./helpers.ts";
import { interceptArgv } from "./intercept_command.ts";

const POLICY = policyPath("approvals.yaml");

interface Setup {
  kind: ClientKind;
  upstream: string[];
  /** The tool the user approves, with arguments. */
  sum: [string, JsonObject];
}

const SETUPS: Setup[] = [
  { kind: "v1", upstream: EVERYTHING, sum: ["get-sum", { a: 2, b: 3 }] },
  { kind: "v2-legacy", upstream: EVERYTHING, sum: ["get-sum", { a: 2, b: 3 }] },
  { kind: "v2-modern", upstream: modernServer(), sum: ["add", { a: 2, b: 3 }] },
];

async function withProxy(
  setup: Setup,
  elicit: ((params: JsonObject) => ElicitAnswer) | undefined,
  run: (
    client: Awaited<ReturnType<typeof connectAs>>,
    control: string,
  ) => Promise<void>,
): Promise<void> {
  const folder = await Deno.makeTempDir({ prefix: "intercept-approvals-" });
  await Deno.chmod(folder, 0o700);
  const control = `${folder}/proxy.sock`;
  const client = await connectAs(
    setup.kind,
    interceptArgv(proxyArgs(POLICY, setup.upstream, ["--control", control])),
    elicit ? { elicit } : {},
  );
  try {
    await run(client, control);
  } finally {
    await client.close();
    await Deno.remove(folder, { recursive: true }).catch(() => {});
  }
}

/** A call left running while the test goes on: a failure before it is awaited stays the test's. */
function pending<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

function assertDenied(result: JsonObject, pattern: RegExp): void {
  equal(result.isError, true, JSON.stringify(result));
  const text = textOf(result);
  ok(text.startsWith(DENIAL_PREFIX), text);
  match(text, pattern);
}

for (const setup of SETUPS) {
  Deno.test(`approvals (${setup.kind}): an operator approves, rejects, or lets the wait run out; quota is taken on approval`, async () => {
    await withProxy(setup, undefined, async (client, control) => {
      // Approved: the call runs, and takes the first of two echoes.
      const approved = pending(client.callTool("echo", { message: "prod deploy" }));
      const first = await heldCall(control);
      equal(first.tool, "echo");
      match(first.rule, /prod needs an operator/);
      equal(first.args.message, "prod deploy");
      equal(first.reason, "Echoing prod needs an operator");
      ok(first.from.includes("operator"));
      // The held call blocks nothing else: a ping (legacy) and a listing are answered meanwhile.
      if (client.era === "legacy") await (client.sdk as { ping(): Promise<unknown> }).ping();
      ok((await client.listTools()).some((tool) => tool.name === "echo"));
      const answer = await ctl(control, "approve", first.id);
      equal(answer.code, 0, answer.stderr);
      const ran = await approved;
      equal(ran.isError ?? false, false, JSON.stringify(ran));
      match(textOf(ran), /prod deploy/);

      // Rejected: the agent reads the operator's reason; no quota is taken.
      const rejected = pending(client.callTool("echo", { message: "prod rollback" }));
      const second = await heldCall(control);
      ok(second.id !== first.id);
      equal((await ctl(control, "reject", second.id, "--reason", "change freeze")).code, 0);
      assertDenied(await rejected, /change freeze/);

      // Nobody answers: denied when the wait runs out.
      const started = Date.now();
      assertDenied(
        await client.callTool("echo", { message: "expire soon" }),
        /Nobody will answer this one: no answer within 1s/,
      );
      ok(Date.now() - started >= 900, "the call waited for its one second");

      // One echo taken so far (the approved one): one more passes, the next is limited.
      equal((await client.callTool("echo", { message: "hello" })).isError ?? false, false);
      assertDenied(await client.callTool("echo", { message: "hello" }), /Two echoes a minute/);

      // An id answered already waits for nothing.
      const late = await ctl(control, "approve", first.id);
      equal(late.code, 1);
      match(late.stderr, /No call waits/);
    });
  });

  Deno.test(`approvals (${setup.kind}): the agent's user approves or declines through the client`, async () => {
    let say = true;
    const questions: JsonObject[] = [];
    const elicit = (params: JsonObject): ElicitAnswer => {
      questions.push(params);
      return say ? { action: "accept", content: { approve: true } } : { action: "decline" };
    };
    await withProxy(setup, elicit, async (client, control) => {
      const [tool, args] = setup.sum;
      const granted = await client.callTool(tool, args);
      equal(granted.isError ?? false, false, JSON.stringify(granted));
      match(textOf(granted), /5/);
      equal(questions.length, 1);
      match(String(questions[0].message), /Sums are approved by the user/);
      say = false;
      assertDenied(await client.callTool(tool, args), /declined/);
      equal(questions.length, 2);
      const listed = JSON.parse((await ctl(control, "approvals")).stdout);
      equal(listed.approvals.length, 0, "nothing is left waiting");
    });
  });
}

Deno.test("approvals (v1): a call the agent cancels withdraws its approval", async () => {
  await withProxy(SETUPS[0], undefined, async (client, control) => {
    const abort = new AbortController();
    const cancelled = client.sdk.callTool(
      { name: "echo", arguments: { message: "prod cancel" } },
      undefined,
      { signal: abort.signal },
    );
    const held = await heldCall(control);
    abort.abort();
    await cancelled.catch(() => {});
    const until = Date.now() + 5_000;
    let left = 1;
    while (left > 0 && Date.now() < until) {
      left = JSON.parse((await ctl(control, "approvals")).stdout).approvals.length;
      if (left > 0) await delay(50);
    }
    equal(left, 0, "the withdrawn call is no longer listed");
    const late = await ctl(control, "approve", held.id);
    equal(late.code, 1, "a withdrawn call cannot be approved");
    // The proxy still serves the agent.
    equal((await client.callTool("echo", { message: "hello" })).isError ?? false, false);
  });
});
