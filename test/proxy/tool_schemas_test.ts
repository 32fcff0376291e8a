/** ToolSchemas: what the upstream lists, learnt once, forgotten when its tools change. */
import { equal } from "node:assert/strict";
import { ToolSchemas } from "../../src/proxy/tool_schemas.ts";

Deno.test("ToolSchemas does not trust a fetch that the upstream's tool change overtook", async () => {
  let fetches = 0;
  let release!: () => void;
  const held = new Promise<void>((resolve) => release = resolve);
  const schemas: ToolSchemas = new ToolSchemas(async () => {
    fetches++;
    if (fetches === 1) {
      await held;
      return { tools: [{ name: "old", inputSchema: { required: ["a"] } }] };
    }
    return { tools: [{ name: "new", inputSchema: { required: ["b"] } }] };
  });
  const first = schemas.get("new");
  schemas.invalidate(); // notifications/tools/list_changed while the first fetch runs
  release();
  equal(await first, undefined, "the first fetch did not list it");
  const again = await schemas.get("new");
  equal(fetches, 2, "the stale fetch did not count as complete");
  equal(JSON.stringify(again), '{"required":["b"]}');
});

Deno.test("ToolSchemas fetches once and then answers from what it learnt", async () => {
  let fetches = 0;
  const schemas = new ToolSchemas(() => {
    fetches++;
    return Promise.resolve({ tools: [{ name: "echo", inputSchema: { type: "object" } }] });
  });
  equal(JSON.stringify(await schemas.get("echo")), '{"type":"object"}');
  equal(await schemas.get("missing"), undefined);
  equal(fetches, 1);
});
