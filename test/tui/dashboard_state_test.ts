import assert from "node:assert/strict";
import {
  proxyLabel,
  StreamBuffer,
  type StreamEntry,
  uniqueLabels,
} from "../../tui/dashboard_state.ts";
import { decisionNotice, makeStatus } from "./fakes.ts";

const decision = (ts: number, proxy = "/p"): StreamEntry => ({
  kind: "decision",
  proxy,
  label: "p",
  notice: decisionNotice("echo", ts),
});
const control = (ts: number): StreamEntry => ({
  kind: "control",
  proxy: "/p",
  label: "p",
  notice: { ts, event: "deny", tool: "echo", reason: null },
});

Deno.test("StreamBuffer keeps time order, drops duplicates, and bounds decisions and events apart", () => {
  const buffer = new StreamBuffer(3, 2);
  assert.equal(buffer.add(decision(2)), true);
  assert.equal(buffer.add(decision(1)), true);
  assert.equal(buffer.add(decision(1)), false, "a backfill's duplicate");
  buffer.add(control(3));
  buffer.add(control(4));
  buffer.add(control(5));
  for (let ts = 10; ts < 20; ts++) buffer.add(decision(ts));
  const kinds = buffer.entries().map((e) => `${e.kind[0]}${e.notice.ts}`);
  assert.deepEqual(kinds, ["c4", "c5", "d17", "d18", "d19"]);
});

Deno.test("StreamBuffer.entries() is the same array until the next change", () => {
  const buffer = new StreamBuffer();
  buffer.add(decision(1));
  const first = buffer.entries();
  assert.equal(buffer.entries(), first);
  buffer.add(decision(2));
  assert.notEqual(buffer.entries(), first);
  assert.ok(Object.isFrozen(first));
});

Deno.test("proxyLabel() and uniqueLabels(): the name, the pid when shared or unnamed", () => {
  const named = { path: "/a", status: { ...makeStatus(1, [], "/a"), name: "kafka" } };
  const twin = { path: "/b", status: { ...makeStatus(2, [], "/b"), name: "kafka" } };
  const bare = { path: "/c", status: makeStatus(3, [], "/c") };
  const unknown = { path: "/run/x/9.sock", status: null };
  assert.equal(proxyLabel(named), "kafka");
  assert.equal(proxyLabel(bare), "pid 3");
  assert.equal(proxyLabel(unknown), "9.sock");
  assert.deepEqual(
    [...uniqueLabels([named, twin, bare, unknown]).values()],
    ["kafka·1", "kafka·2", "pid 3", "9.sock"],
  );
});
