/**
 * Calls held for a human while the operator changes what decides calls, end to end (the real
 * proxy, a v1 SDK client, `intercept ctl`): a reload that drops the rule lets the held call run
 * at once; a live deny of the tool denies it at once with the operator's reason. Neither waits
 * out the approval's timeout.
 */
import { equal, match, ok } from "node:assert/strict";
import { ctl, heldCall } from "./approval_support.ts";
import { connectAs } from "./clients.ts";
import { DENIAL_PREFIX, EVERYTHING, policyPath, proxyArgs, textOf } from "./helpers.ts";
import { interceptArgv } from "./intercept_command.ts";

async function withProxy(
  run: (
    client: Awaited<ReturnType<typeof connectAs>>,
    control: string,
    policy: string,
  ) => Promise<void>,
): Promise<void> {
  const folder = await Deno.makeTempDir({ prefix: "intercept-approvals-reload-" });
  await Deno.chmod(folder, 0o700);
  const control = `${folder}/proxy.sock`;
  const policy = `${folder}/approvals.yaml`;
  await Deno.copyFile(policyPath("approvals.yaml"), policy);
  const client = await connectAs(
    "v1",
    interceptArgv(proxyArgs(policy, EVERYTHING, ["--control", control])),
  );
  try {
    await run(client, control, policy);
  } finally {
    await client.close();
    await Deno.remove(folder, { recursive: true }).catch(() => {});
  }
}

Deno.test("approvals (v1): a reload that drops the held call's rule lets it run at once", async () => {
  await withProxy(async (client, control, policy) => {
    const started = Date.now();
    const call = client.callTool("echo", { message: "prod deploy" });
    call.catch(() => {});
    await heldCall(control);
    const text = await Deno.readTextFile(policy);
    await Deno.writeTextFile(policy, text.replace(/contains, value: "prod"/, 'eq, value: "-"'));
    const reloaded = await ctl(control, "reload");
    equal(reloaded.code, 0, reloaded.stderr);
    const ran = await call;
    equal(ran.isError ?? false, false, JSON.stringify(ran));
    match(textOf(ran), /prod deploy/);
    ok(Date.now() - started < 25_000, "it did not wait out its 30 s");
    equal(JSON.parse((await ctl(control, "approvals")).stdout).approvals.length, 0);
  });
});

Deno.test("approvals (v1): a live deny of the tool denies its held call at once, saying why", async () => {
  await withProxy(async (client, control) => {
    const call = client.callTool("echo", { message: "prod deploy" });
    call.catch(() => {});
    await heldCall(control);
    const denied = await ctl(control, "deny", "echo", "--reason", "incident 42");
    equal(denied.code, 0, denied.stderr);
    const result = await call;
    equal(result.isError, true, JSON.stringify(result));
    const text = textOf(result);
    ok(text.startsWith(DENIAL_PREFIX), text);
    match(text, /incident 42/);
  });
});
