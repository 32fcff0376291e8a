/**
 * Hot reload through the real process: the policy file is edited under a running proxy in
 * front of the real server-everything, and the client sees the new rules without reconnecting.
 */
import assert from "node:assert/strict";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { connectClient, DENIAL_PREFIX, EVERYTHING, type JsonObject, textOf } from "./helpers.ts";

const ALLOW_ECHO = `version: "1"
tools:
  echo:
    rules:
      - name: echo quota
        rate_limit: { max: 5, window: 60 }
`;

const DENY_ECHO_HIDE_ENV = `version: "1"
hide: [get-env]
tools:
  echo:
    rules:
      - name: echo quota
        rate_limit: { max: 5, window: 60 }
      - name: loud echoes
        action: deny
        conditions: [{ path: args.message, op: contains, value: "LOUD" }]
        reason: "No shouting"
`;

async function eventually<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

Deno.test("intercept reloads an edited policy file without a restart, keeping quotas", async () => {
  const dir = await Deno.makeTempDir();
  const policy = `${dir}/policy.yaml`;
  await Deno.writeTextFile(policy, ALLOW_ECHO);
  const audit = `${dir}/audit.jsonl`;
  const client = await connectClient(policy, EVERYTHING, ["--audit", audit]);
  try {
    let listChanged = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      listChanged++;
    });
    assert.equal(client.getServerCapabilities()?.tools?.listChanged, true);
    const call = async (message: string) =>
      await client.callTool({ name: "echo", arguments: { message } }) as JsonObject;

    assert.equal(textOf(await call("LOUD one")), "Echo: LOUD one");
    assert.equal(textOf(await call("two")), "Echo: two");
    const before = await client.listTools();
    assert.ok(before.tools.some((tool: { name: string }) => tool.name === "get-env"));

    const notifiedBefore = listChanged;
    await Deno.writeTextFile(policy, DENY_ECHO_HIDE_ENV);
    // Listing takes no quota: wait for the reload through the tool list and its notification.
    await eventually(async () => {
      const { tools } = await client.listTools();
      return tools.some((tool: { name: string }) => tool.name === "get-env") ? undefined : true;
    }, "get-env to be hidden");
    await eventually(
      () => Promise.resolve(listChanged > notifiedBefore ? true : undefined),
      "tools/list_changed",
    );
    assert.equal(textOf(await call("LOUD again")), `${DENIAL_PREFIX}No shouting`);

    // The quota kept its name and window: 2 were taken before the reload, and the denied
    // call took none, so 3 remain.
    assert.equal(textOf(await call("three")), "Echo: three");
    assert.equal(textOf(await call("four")), "Echo: four");
    assert.equal(textOf(await call("five")), "Echo: five");
    const spent = await call("six");
    assert.equal(spent.isError, true);
    assert.match(textOf(spent), /Rate limit of 5 calls per 1m reached/);

    // A broken edit is refused (the audit says so once the reload was tried): the last good
    // policy stays in force.
    await Deno.writeTextFile(policy, 'version: "1"\ntools:\n  echo:\n    rulez: []\n');
    await eventually(async () => {
      const text = await Deno.readTextFile(audit);
      return text.includes('"type":"policy_refused"') ? true : undefined;
    }, "the refused reload in the audit log");
    const still = await call("LOUD still");
    assert.equal(textOf(still), `${DENIAL_PREFIX}No shouting`);
  } finally {
    await client.close();
    await Deno.remove(dir, { recursive: true });
  }
});
