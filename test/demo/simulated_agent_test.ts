/** The demo's agent, driving the real proxy in front of the demo server. */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { BURST_CALLS } from "../../src/demo/agent_script.ts";
import { type AgentCall, AgentError, runSimulatedAgent } from "../../src/demo/simulated_agent.ts";
import { markedEnv, proxyCommand, ROOT } from "./support.ts";

Deno.test("runSimulatedAgent() runs the script once and reports every decision", async () => {
  const calls: AgentCall[] = [];
  const notes: string[] = [];
  const result = await runSimulatedAgent(proxyCommand(), {
    paceMs: 0,
    passes: 1,
    cwd: ROOT,
    env: markedEnv(crypto.randomUUID()),
    onCall: (call) => calls.push(call),
    onNote: (note) => notes.push(note),
  });
  deepEqual(result, { passes: 1, calls: calls.length });
  equal(calls.length, 1 + 1 + 3 + 1 + BURST_CALLS + 1 + 1 + 1 + 1);
  match(notes[0], /^Agent sees \d+ tools: .*produce-message/);
  deepEqual(calls.slice(0, 2).map((c) => [c.tool, c.allowed]), [
    ["list-topics", true],
    ["create-topics", true],
  ]);
  const produced = calls.filter((c) => c.tool === "produce-message" && "topicName" in c.args);
  ok(produced.some((c) => c.allowed), "some writes pass");
  const limited = produced.filter((c) => !c.allowed);
  ok(limited.length >= 1, "the burst meets the rate limit");
  match(limited[0].text, /retry in/);
  ok(limited[0].rule, "a denial names its rule");
  const noTopic = calls.find((c) => c.tool === "produce-message" && !("topicName" in c.args));
  equal(noTopic?.allowed, false);
  match(noTopic!.text, /topicName/);
  equal(calls.find((c) => c.tool === "delete-topics")?.allowed, false);
  const consumed = calls.at(-2)!;
  equal(consumed.tool, "consume-messages");
  equal(consumed.allowed, true);
  match(consumed.text, /^Consumed 5 messages from topics orders\./);
  // Under the bundled policy as it is, a new connector is a paced write: the server makes it.
  const connector = calls.at(-1)!;
  deepEqual([connector.tool, connector.allowed, connector.isError], [
    "create-connector",
    true,
    false,
  ]);
  match(connector.text, /^Successfully created connector orders-s3-archive-1: .*"type":"S3_SINK"/);
  ok(calls.every((c) => c.latencyMs >= 0 && c.ts > 0));
});

Deno.test("runSimulatedAgent() stops when its signal aborts", async () => {
  const stop = new AbortController();
  const calls: AgentCall[] = [];
  const result = await runSimulatedAgent(proxyCommand(), {
    paceMs: 5_000,
    cwd: ROOT,
    env: markedEnv(crypto.randomUUID()),
    signal: stop.signal,
    onCall: (call) => {
      calls.push(call);
      stop.abort();
    },
  });
  deepEqual(result, { passes: 0, calls: 1 });
  equal(calls[0].tool, "list-topics");
});

Deno.test("runSimulatedAgent() fails with the proxy's stderr when the proxy does not start", async () => {
  const command = [Deno.execPath(), "eval", "console.error('no policy here'); Deno.exit(2)"];
  await rejects(
    runSimulatedAgent(command, { env: markedEnv(crypto.randomUUID()) }),
    (error: Error) => {
      ok(error instanceof AgentError);
      match(error.message, /no policy here/);
      return true;
    },
  );
});
