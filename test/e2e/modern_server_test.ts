/**
 * The modern test server (`fixtures/modern_server.ts`) driven directly, without the proxy, by
 * every client kind of `clients.ts`: proves the fixture and the client helpers before the proxy
 * is put between them.
 */
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { CLIENT_KINDS, type ClientKind, connectAs, modernServer } from "./clients.ts";
import { textOf } from "./helpers.ts";

const LISTED = [
  "echo",
  "add",
  "create-topic",
  "confirm-action",
  "summarize",
  "long-running",
  "toggle-extra",
];

const EXPECTED_ERA: Record<ClientKind, [string, string | undefined]> = {
  "v1": ["legacy", undefined],
  "v2-modern": ["modern", "2026-07-28"],
  "v2-auto": ["modern", "2026-07-28"],
  "v2-legacy": ["legacy", "2025-11-25"],
};

for (const kind of CLIENT_KINDS) {
  Deno.test(`modern server serves the ${kind} client on its era`, async (t) => {
    const client = await connectAs(kind, modernServer());
    try {
      await t.step(`${kind} client negotiates the expected era`, () => {
        deepEqual([client.era, client.protocolVersion], EXPECTED_ERA[kind]);
      });

      await t.step(`modern server lists its tools to the ${kind} client`, async () => {
        deepEqual((await client.listTools()).map((tool) => tool.name), LISTED);
      });

      await t.step(`modern server answers the ${kind} client's echo`, async () => {
        const result = await client.callTool("echo", { message: "hello" });
        equal(textOf(result), "Echo: hello");
        equal(result.isError, undefined);
      });

      await t.step(`modern server reports bad arguments of the ${kind} client`, async () => {
        const result = await client.callTool("add", { a: "one", b: 2 });
        equal(result.isError, true);
        ok(textOf(result).includes("Invalid arguments for tool add"), textOf(result));
      });

      await t.step(`modern server asks the ${kind} client to confirm, once`, async () => {
        const result = await client.callTool("confirm-action", { action: "deploy" });
        equal(textOf(result), "Confirmed: deploy");
        equal(client.asked.elicitation.length, 1);
        equal(client.asked.elicitation[0].message, 'Allow the action "deploy"?');
      });

      await t.step(`modern server asks the ${kind} client's model, once`, async () => {
        const result = await client.callTool("summarize", { text: "a long text" });
        equal(textOf(result), "Summary: a short summary");
        equal(client.asked.sampling.length, 1);
        const [message] = client.asked.sampling[0].messages as { content: { text: string } }[];
        equal(message.content.text, "Summarize: a long text");
      });

      await t.step(`modern server announces tool changes to the ${kind} client`, async () => {
        const changes = await client.watchToolChanges();
        equal(textOf(await client.callTool("toggle-extra")), "extra is now listed");
        await changes.waitFor(1);
        ok((await client.listTools()).some((tool) => tool.name === "extra"));
        equal(textOf(await client.callTool("extra")), "extra ran");
        await client.callTool("toggle-extra");
        await changes.waitFor(2);
        deepEqual((await client.listTools()).map((tool) => tool.name), LISTED);
        await changes.close();
      });
    } finally {
      await client.close();
    }
  });
}

for (const kind of ["v1", "v2-modern"] as const) {
  Deno.test(`modern server takes a declined confirmation from the ${kind} client`, async () => {
    const client = await connectAs(kind, modernServer(), {
      elicit: () => ({ action: "decline" }),
    });
    try {
      const result = await client.callTool("confirm-action", { action: "drop table" });
      equal(textOf(result), "Not confirmed (decline): drop table");
      equal(client.asked.elicitation.length, 1);
    } finally {
      await client.close();
    }
  });
}

Deno.test("modern server in modern-only mode serves the pinned v2 client", async () => {
  const client = await connectAs("v2-modern", modernServer({ mode: "modern-only" }));
  try {
    equal(client.era, "modern");
    equal(textOf(await client.callTool("echo", { message: "modern" })), "Echo: modern");
  } finally {
    await client.close();
  }
});

Deno.test("modern server in modern-only mode is reached by the v2 client in auto mode", async () => {
  const client = await connectAs("v2-auto", modernServer({ mode: "modern-only" }));
  try {
    equal(client.era, "modern");
  } finally {
    await client.close();
  }
});

for (const kind of ["v1", "v2-legacy"] as const) {
  Deno.test(`modern server in modern-only mode refuses the ${kind} client's initialize`, async () => {
    await rejects(connectAs(kind, modernServer({ mode: "modern-only" })), (error: Error) => {
      const { code, data } = error as Error & { code?: number; data?: unknown };
      equal(code, -32022, error.message);
      deepEqual(data, { supported: ["2026-07-28"], requested: "2025-11-25" });
      return true;
    });
  });
}
