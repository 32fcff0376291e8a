/** AuditLog: every decision reaches the file, in order, by close(); failures never reach the caller. */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { AuditLog, AuditOpenError } from "../../src/audit/audit_log.ts";
import { argsSha256 } from "../../src/audit/audit_record.ts";
import { decisionEvent, T0 } from "./support.ts";

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "intercept-audit-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function readLines(path: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(path);
  ok(text.endsWith("\n"), "the file ends with a newline");
  return text.slice(0, -1).split("\n").map((line) => JSON.parse(line));
}

function recordingLog(): { errors: string[]; log: { error(message: string): void } } {
  const errors: string[] = [];
  return { errors, log: { error: (message) => errors.push(message) } };
}

Deno.test("AuditLog writes N decisions as N lines in order by close()", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/audit.jsonl`;
    const audit = await AuditLog.open(path);
    const n = 5000;
    for (let i = 0; i < n; i++) {
      audit.decision({ ...decisionEvent("echo", { i, message: `call ${i}` }), client: "agent" });
      if (i % 1000 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await audit.close();
    const lines = await readLines(path);
    equal(lines.length, n);
    lines.forEach((line, i) => {
      equal(line.type, "decision");
      equal(line.client, "agent");
      equal(line.argsSha256, argsSha256({ i, message: `call ${i}` }));
      equal("args" in line, false, "raw arguments only with includeArgs");
    });
    equal(audit.dropped, 0);
  });
});

Deno.test("AuditLog writes raw arguments with includeArgs", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/audit.jsonl`;
    const audit = await AuditLog.open(path, { includeArgs: true });
    audit.decision(decisionEvent("produce-message", { topicName: "orders", value: "v" }));
    await audit.close();
    const [line] = await readLines(path);
    deepEqual(line.args, { topicName: "orders", value: "v" });
    equal(line.argsSha256, argsSha256({ value: "v", topicName: "orders" }));
  });
});

Deno.test("AuditLog hashes arguments the same whatever their key order", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/audit.jsonl`;
    const audit = await AuditLog.open(path);
    audit.decision(decisionEvent("t", JSON.parse('{"a":1,"b":{"c":2,"d":[{"e":1,"f":2}]}}')));
    audit.decision(decisionEvent("t", JSON.parse('{"b":{"d":[{"f":2,"e":1}],"c":2},"a":1}')));
    audit.decision(decisionEvent("t", JSON.parse('{"b":{"d":[{"f":2,"e":2}],"c":2},"a":1}')));
    await audit.close();
    const [first, second, third] = await readLines(path);
    equal(first.argsSha256, second.argsSha256);
    ok(first.argsSha256 !== third.argsSha256);
  });
});

Deno.test("AuditLog appends to an existing file and creates a missing one with mode 0600", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/audit.jsonl`;
    const first = await AuditLog.open(path, { now: () => T0 });
    first.lifecycle("start", { pid: 1 });
    await first.close();
    equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const second = await AuditLog.open(path, { now: () => T0 });
    second.lifecycle("start", { pid: 2 });
    await second.close();
    deepEqual((await readLines(path)).map((line) => line.pid), [1, 2]);
  });
});

Deno.test("AuditLog writes lifecycle lines with ts and type first", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/audit.jsonl`;
    const audit = await AuditLog.open(path, { now: () => T0 });
    audit.lifecycle("policy_refused", { source: "kafka.yaml", error: "kafka.yaml:3:5: bad" });
    audit.lifecycle("stop", { exitCode: 0 });
    await audit.close();
    equal(
      (await Deno.readTextFile(path)).split("\n")[0],
      '{"ts":"2026-01-01T12:00:00.250Z","type":"policy_refused","source":"kafka.yaml",' +
        '"error":"kafka.yaml:3:5: bad"}',
    );
    deepEqual((await readLines(path))[1], {
      ts: "2026-01-01T12:00:00.250Z",
      type: "stop",
      exitCode: 0,
    });
  });
});

Deno.test("AuditLog reports lines dropped past its bound before close() ends the file", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/audit.jsonl`;
    const audit = await AuditLog.open(path, { maxBufferedLines: 3, now: () => T0 });
    for (let i = 0; i < 10; i++) audit.decision(decisionEvent("t", { i }));
    await audit.close();
    const lines = await readLines(path);
    deepEqual(lines.map((line) => line.type), ["decision", "decision", "decision", "dropped"]);
    equal(lines[3].droppedBefore, 7);
    equal(audit.dropped, 7);
  });
});

Deno.test("AuditLog ignores records after close()", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/audit.jsonl`;
    const audit = await AuditLog.open(path);
    audit.decision(decisionEvent("t"));
    const closed = audit.close();
    audit.decision(decisionEvent("late"));
    audit.lifecycle("stop", {});
    await closed;
    await audit.close();
    deepEqual((await readLines(path)).map((line) => line.tool), ["t"]);
  });
});

Deno.test("AuditLog.open() names the path when its folder does not exist", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/missing/audit.jsonl`;
    await rejects(AuditLog.open(path), (error: Error) => {
      ok(error instanceof AuditOpenError);
      equal(error.message, `Cannot open audit file "${path}": its folder does not exist`);
      return true;
    });
  });
});

Deno.test("AuditLog.open() refuses a folder, stdout and an empty path", async () => {
  await withTempDir(async (dir) => {
    await rejects(AuditLog.open(dir), AuditOpenError);
    await rejects(AuditLog.open(dir), new RegExp(`Cannot open audit file "${dir}"`));
  });
  await rejects(AuditLog.open("/dev/stdout"), /stdout carries MCP traffic/);
  await rejects(AuditLog.open(""), AuditOpenError);
});

Deno.test("AuditLog reports a write error once and never throws", async () => {
  const { errors, log } = recordingLog();
  const audit = await AuditLog.open("/dev/full", { log });
  audit.decision(decisionEvent("t"));
  await new Promise((resolve) => setTimeout(resolve, 10));
  for (let i = 0; i < 3; i++) audit.decision(decisionEvent("t"));
  audit.lifecycle("stop", {});
  await audit.close();
  equal(errors.length, 2);
  match(errors[0], /^Writing the audit log "\/dev\/full" failed, later lines are dropped: /);
  equal(errors[1], 'The audit log "/dev/full" lost 5 line(s)');
  equal(audit.dropped, 5);
});

const FIXTURE = new URL("./fixtures/audit_writer.ts", import.meta.url).pathname;

function fixture(args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", FIXTURE, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

Deno.test("AuditLog.open('-') writes the lines to stderr and nothing to stdout", async () => {
  const { code, stdout, stderr } = await fixture(["-", "200"]).output();
  equal(code, 0);
  equal(new TextDecoder().decode(stdout), "");
  const lines = new TextDecoder().decode(stderr).trimEnd().split("\n").map((l) => JSON.parse(l));
  equal(lines.length, 201);
  equal(lines[0].type, "start");
  deepEqual(
    lines.slice(1).map((line) => line.type === "decision" && line.tool),
    Array(200).fill("echo"),
  );
});

Deno.test("AuditLog loses nothing when a process closes it on SIGTERM", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/audit.jsonl`;
    const child = fixture([path, "3000", "--on-sigterm"]).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
    child.kill("SIGTERM");
    const status = await child.status;
    await reader.cancel();
    await child.stderr.cancel();
    equal(status.code, 143);
    const lines = await readLines(path);
    equal(lines.length, 3002);
    equal(lines[0].type, "start");
    equal(lines.at(-1)!.type, "stop");
    equal(lines.filter((line) => line.type === "decision").length, 3000);
  });
});
