/** The demo's agent, driving the real proxy in front of the demo server, on each era. */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { AGENT_ERAS, type AgentEra } from "../../src/demo/agent_era.ts";
import { BURST_CALLS } from "../../src/demo/agent_script.ts";
import {
  type AgentCall,
  AgentError,
  type AgentLink,
  runSimulatedAgent,
} from "../../src/demo/simulated_agent.ts";
import { markedEnv, proxyCommand, ROOT } from "./support.ts";

/** What each era's client ends up on: auto goes modern, as the proxy offers 2026-07-28. */
const EXPECTED_LINK: Record<AgentEra, AgentLink> = {
  modern: { era: "modern", protocolVersion: "2026-07-28" },
  auto: { era: "modern", protocolVersion: "2026-07-28" },
  legacy: { era: "legacy", protocolVersion: "2025-11-25" },
};

/** `command` behind a shell that appends a line to `log` each time it starts. */
function counted(command: string[], log: string): string[] {
  return ["sh", "-c", `echo started >> '${log}'; exec "$@"`, "sh", ...command];
}

for (const era of AGENT_ERAS) {
  Deno.test(`runSimulatedAgent() on the ${era} era runs the script once through one proxy and reports every decision`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "intercept-agent-" });
    const starts = `${dir}/starts`;
    const calls: AgentCall[] = [];
    const notes: string[] = [];
    const links: AgentLink[] = [];
    try {
      const result = await runSimulatedAgent(counted(proxyCommand(), starts), {
        era,
        paceMs: 0,
        passes: 1,
        cwd: ROOT,
        env: markedEnv(crypto.randomUUID()),
        onConnected: (link) => links.push(link),
        onCall: (call) => calls.push(call),
        onNote: (note) => notes.push(note),
      });
      deepEqual(result, { passes: 1, calls: calls.length, link: EXPECTED_LINK[era] });
      deepEqual(links, [EXPECTED_LINK[era]]);
      // The modern client's server/discover probe went to the same proxy, not to one of its own.
      equal(await Deno.readTextFile(starts), "started\n", "the proxy started once");
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
      const deleted = calls.find((c) => c.tool === "delete-topics");
      equal(deleted?.allowed, false);
      match(deleted!.text, /^delete-topics is destructive/);
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
      match(
        connector.text,
        /^Successfully created connector orders-s3-archive-1: .*"type":"S3_SINK"/,
      );
      ok(calls.every((c) => c.latencyMs >= 0 && c.ts > 0));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`runSimulatedAgent() on the ${era} era fails with the proxy's stderr when the proxy does not start`, async () => {
    const command = [Deno.execPath(), "eval", "console.error('no policy here'); Deno.exit(2)"];
    await rejects(
      runSimulatedAgent(command, { era, env: markedEnv(crypto.randomUUID()) }),
      (error: Error) => {
        ok(error instanceof AgentError);
        match(error.message, /^The proxy did not start/);
        match(error.message, /no policy here/);
        return true;
      },
    );
  });
}

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
  deepEqual(result, { passes: 0, calls: 1, link: EXPECTED_LINK.modern });
  equal(calls[0].tool, "list-topics");
});
