import assert from "node:assert/strict";
import { splitKeys } from "../../tui/key_input.ts";

Deno.test("splitKeys() passes a single key through", () => {
  assert.deepEqual(splitKeys("d", {}), [{ input: "d", key: {} }]);
  assert.deepEqual(splitKeys("D", { shift: true }), [{ input: "D", key: { shift: true } }]);
  assert.deepEqual(splitKeys("", { downArrow: true }), [{ input: "", key: { downArrow: true } }]);
  assert.deepEqual(splitKeys("\t", {}), [{ input: "", key: { tab: true } }]);
});

Deno.test("splitKeys() splits a chunk into its keys: Tabs, Enter, Backspace, text", () => {
  assert.deepEqual(splitKeys("\t\t", {}), [
    { input: "", key: { tab: true } },
    { input: "", key: { tab: true } },
  ]);
  assert.deepEqual(splitKeys("aB\r\u007f", {}), [
    { input: "a", key: {} },
    { input: "B", key: { shift: true } },
    { input: "", key: { return: true } },
    { input: "", key: { backspace: true } },
  ]);
});

Deno.test("splitKeys() reads Alt+key as Esc and then the key (the dashboard has no Alt keys)", () => {
  assert.deepEqual(splitKeys("q", { meta: true }), [
    { input: "", key: { escape: true } },
    { input: "q", key: {} },
  ]);
  // A named key with Alt stays as it is.
  assert.deepEqual(splitKeys("", { upArrow: true, meta: true }), [
    { input: "", key: { upArrow: true, meta: true } },
  ]);
});
