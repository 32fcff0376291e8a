/**
 * Live operations through real processes: `intercept ctl` against a proxy in front of the real
 * server-everything, and the audit log it writes.
 */
import assert from "node:assert/strict";
import {
  connectClient,
  DENIAL_PREFIX,
  EVERYTHING,
  type JsonObject,
  policyPath,
  runIntercept,
  textOf,
} from "./helpers.ts";

async function ctl(control: string, ...args: string[]) {
  const result = await runIntercept(["ctl", "--control", control, ...args]);
  return { ...result, json: result.stdout.trim() ? JSON.parse(result.stdout) : null };
}

Deno.test("intercept ctl deny stops a tool live and ctl allow brings it back", async () => {
  const dir = await Deno.makeTempDir();
  const control = `${dir}/proxy.sock`;
  const audit = `${dir}/audit.jsonl`;
  const client = await connectClient(policyPath("allow_all.yaml"), EVERYTHING, [
    "--control",
    control,
    "--audit",
    audit,
  ]);
  const listed = async () =>
    (await client.listTools()).tools.map((tool: { name: string }) => tool.name);
  const echo = async () =>
    await client.callTool({ name: "echo", arguments: { message: "hi" } }) as JsonObject;
  try {
    assert.equal(textOf(await echo()), "Echo: hi");
    assert.ok((await listed()).includes("echo"));

    const denied = await ctl(control, "deny", "echo", "--reason", "Incident 42: writes paused");
    assert.equal(denied.code, 0, denied.stderr);
    const refused = await echo();
    assert.equal(refused.isError, true);
    assert.equal(textOf(refused), `${DENIAL_PREFIX}Incident 42: writes paused`);
    assert.ok(!(await listed()).includes("echo"));

    const status = await ctl(control, "status");
    assert.equal(status.code, 0, status.stderr);
    assert.deepEqual(status.json.liveDenies.map((d: JsonObject) => d.tool), ["echo"]);
    const echoView = status.json.tools.find((tool: JsonObject) => tool.name === "echo");
    assert.deepEqual([echoView.posture, echoView.allowed, echoView.denied], ["live-deny", 1, 1]);
    assert.equal(status.json.sessions[0].client.name, "intercept-e2e");

    const allowed = await ctl(control, "allow", "echo");
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(textOf(await echo()), "Echo: hi");
    assert.ok((await listed()).includes("echo"));

    const again = await ctl(control, "allow", "echo");
    assert.equal(again.code, 1);
  } finally {
    await client.close();
  }
  try {
    const lines = (await Deno.readTextFile(audit)).trim().split("\n").map((l) => JSON.parse(l));
    const decisions = lines.filter((line) => line.type === "decision");
    assert.deepEqual(decisions.map((d) => d.decision), ["allow", "deny", "allow"]);
    for (const decision of decisions) {
      assert.equal(decision.tool, "echo");
      assert.match(decision.argsSha256, /^[0-9a-f]{64}$/);
      assert.equal(decision.args, undefined);
    }
    const kinds = lines.map((line) => line.type);
    assert.equal(kinds[0], "start");
    assert.equal(kinds.at(-1), "stop");
    assert.ok(kinds.includes("live_deny") && kinds.includes("live_allow"));
    const liveDeny = lines.find((line) => line.type === "live_deny");
    assert.match(liveDeny.by, / via ctl$/, "the audit says who denied it");
    await assert.rejects(Deno.stat(control), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("intercept refuses to start when an explicit --control path cannot be used", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.chmod(dir, 0o777);
    const result = await runIntercept([
      "-c",
      policyPath("allow_all.yaml"),
      "--control",
      `${dir}/proxy.sock`,
      "--",
      "sleep", // a silent upstream: its stderr would share ours
      "30",
    ]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Cannot open the control socket/);
    assert.equal(result.stderr.trim().split("\n").length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("intercept ctl deny of a glob stops every tool it matches; --name names the proxy", async () => {
  const dir = await Deno.makeTempDir();
  const control = `${dir}/proxy.sock`;
  const client = await connectClient(policyPath("allow_all.yaml"), EVERYTHING, [
    "--control",
    control,
    "--name",
    "everything (test)",
  ]);
  const listed = async () =>
    (await client.listTools()).tools.map((tool: { name: string }) => tool.name);
  try {
    const before = await listed();
    const matching = before.filter((name: string) => name.startsWith("ec"));
    assert.deepEqual(matching, ["echo"]);
    const denied = await ctl(control, "deny", "ec*", "--reason", "Echoes paused");
    assert.equal(denied.code, 0, denied.stderr);
    assert.equal(denied.stderr, "", "the glob matches a listed tool: no warning");
    const refused = await client.callTool({ name: "echo", arguments: { message: "hi" } });
    assert.equal(textOf(refused as JsonObject), `${DENIAL_PREFIX}Echoes paused`);
    const after = await listed();
    assert.deepEqual(after, before.filter((name: string) => name !== "echo"));

    const status = await ctl(control, "status");
    assert.equal(status.json.name, "everything (test)");
    assert.equal(typeof status.json.server.name, "string");
    assert.deepEqual(status.json.liveDenies.map((d: JsonObject) => d.tool), ["ec*"]);
    assert.match(status.json.liveDenies[0].by, / via ctl$/);
    const echoView = status.json.tools.find((tool: JsonObject) => tool.name === "echo");
    assert.deepEqual([echoView.posture, echoView.liveDenyPattern], ["live-deny", "ec*"]);

    assert.equal((await ctl(control, "allow", "ec*")).code, 0);
    assert.deepEqual(await listed(), before);
  } finally {
    await client.close();
    await Deno.remove(dir, { recursive: true });
  }
});
