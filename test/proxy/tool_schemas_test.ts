/** ToolSchemas: what the upstream lists, learnt once, forgotten when its tools change, bounded. */
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { MAX_PAGES, MIN_MODERN_FRESHNESS_MS, ToolSchemas } from "../../src/proxy/tool_schemas.ts";

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
  const first = schemas.get("new", null);
  schemas.invalidate(); // notifications/tools/list_changed while the first fetch runs
  release();
  equal(await first, undefined, "the first fetch did not list it");
  const again = await schemas.get("new", null);
  equal(fetches, 2, "the stale fetch did not count as complete");
  equal(JSON.stringify(again), '{"required":["b"]}');
});

Deno.test("ToolSchemas fetches once and then answers from what it learnt", async () => {
  let fetches = 0;
  const schemas = new ToolSchemas(() => {
    fetches++;
    return Promise.resolve({ tools: [{ name: "echo", inputSchema: { type: "object" } }] });
  });
  equal(JSON.stringify(await schemas.get("echo", null)), '{"type":"object"}');
  equal(await schemas.get("missing", null), undefined);
  equal(fetches, 1);
});

Deno.test("ToolSchemas sends a modern call's envelope with every page, cursor included", async () => {
  const asked: unknown[] = [];
  const schemas = new ToolSchemas((params) => {
    asked.push(params);
    return Promise.resolve(
      params.cursor ? { tools: [{ name: "b" }] } : { tools: [{ name: "a" }], nextCursor: "p2" },
    );
  });
  const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28" };
  equal(await schemas.get("b", meta), null);
  deepEqual(asked, [{ _meta: meta }, { _meta: meta, cursor: "p2" }]);
});

Deno.test("ToolSchemas gives up after MAX_PAGES pages", async () => {
  let pages = 0;
  const schemas = new ToolSchemas(() => {
    pages++;
    return Promise.resolve({ tools: [], nextCursor: `c${pages}` });
  });
  await rejects(schemas.get("x", null), /did not end after 100 pages/);
  equal(pages, MAX_PAGES);
});

Deno.test("ToolSchemas bounds a whole fetch's time, not each page's", async () => {
  let pages = 0;
  const schemas = new ToolSchemas(async () => {
    pages++;
    await new Promise((resolve) => setTimeout(resolve, 30));
    return { tools: [], nextCursor: `c${pages}` };
  }, { budgetMs: 100 });
  await rejects(schemas.get("x", null), /budget|out of time/);
  equal(pages < 10, true, `${pages} pages fit in a 100 ms budget of 30 ms pages`);
});

Deno.test("ToolSchemas lets a modern list age: a missing tool is asked for again later", async () => {
  const clock = { now: 0 };
  let fetches = 0;
  const schemas = new ToolSchemas(() => {
    fetches++;
    return Promise.resolve({ tools: [{ name: "a" }], ttlMs: 0 });
  }, { now: () => clock.now });
  const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28" };
  equal(await schemas.get("b", meta), undefined);
  equal(await schemas.get("b", meta), undefined);
  equal(fetches, 1, "fresh for a while even at ttlMs 0");
  clock.now += MIN_MODERN_FRESHNESS_MS;
  equal(await schemas.get("b", meta), undefined);
  equal(fetches, 2);
});

Deno.test("ToolSchemas keeps at most MAX_KNOWN_TOOLS schemas, however many names a server lists", async () => {
  const { MAX_KNOWN_TOOLS } = await import("../../src/proxy/tool_schemas.ts");
  let page = 0;
  // A server that lists new names every time it is asked (to grow the proxy's memory).
  const schemas = new ToolSchemas(() => {
    page++;
    return Promise.resolve({
      tools: Array.from({ length: 1_000 }, (_, i) => ({ name: `t${page}-${i}`, inputSchema: {} })),
    });
  });
  for (let i = 0; i < 30; i++) {
    schemas.remember(
      Array.from({ length: 1_000 }, (_, j) => ({ name: `r${i}-${j}`, inputSchema: {} })),
    );
  }
  ok(schemas.names().length <= MAX_KNOWN_TOOLS, `${schemas.names().length} kept`);
  ok(schemas.names().includes("r29-999"), "the latest are kept");
  // A tool forgotten is fetched again (fail closed when it is not listed), never trusted stale.
  equal(await schemas.get("r0-0", null), undefined);
  equal(page, 1, "asked the upstream");
});
