/**
 * Calls held for a human over `--listen`: the held calls of every legacy session and modern
 * request are in the proxy's one approval list (what `ctl approvals` shows and `ctl approve`
 * answers), and a modern client's user answers through a retry that comes on another HTTP
 * request than the held call.
 */
import { equal, match, ok } from "node:assert/strict";
import { ctl, heldCall } from "./approval_support.ts";
import { type ClientKind, connectAs, type ElicitAnswer, modernServer } from "./clients.ts";
import { DENIAL_PREFIX, type JsonObject, policyPath, textOf } from "./helpers.ts";
import { type HttpProxy, startHttpProxy } from "./http_proxy.ts";

const POLICY = policyPath("approvals.yaml");

async function withListener(run: (proxy: HttpProxy, control: string) => Promise<void>) {
  const folder = await Deno.makeTempDir({ prefix: "intercept-http-approvals-" });
  await Deno.chmod(folder, 0o700);
  const control = `${folder}/proxy.sock`;
  const proxy = await startHttpProxy(POLICY, modernServer(), ["--control", control]);
  try {
    await run(proxy, control);
  } finally {
    await proxy.stop();
    await Deno.remove(folder, { recursive: true }).catch(() => {});
  }
}

for (const kind of ["v1", "v2-modern"] as ClientKind[]) {
  Deno.test(`intercept --listen (${kind}): an operator sees and approves a held call with ctl`, async () => {
    await withListener(async (proxy, control) => {
      const client = await connectAs(kind, { url: proxy.url });
      try {
        const call = client.callTool("echo", { message: "prod deploy" });
        call.catch(() => {});
        const held = await heldCall(control);
        equal(held.tool, "echo");
        equal(held.principal, "anonymous");
        const answer = await ctl(control, "approve", held.id);
        equal(answer.code, 0, answer.stderr);
        const ran = await call;
        equal(ran.isError ?? false, false, JSON.stringify(ran));
        match(textOf(ran), /prod deploy/);
      } finally {
        await client.close();
      }
    });
  });
}

for (const kind of ["v1", "v2-modern"] as ClientKind[]) {
  Deno.test(`intercept --listen (${kind}): the user approves or declines through the client`, async () => {
    let say = true;
    const questions: JsonObject[] = [];
    const elicit = (params: JsonObject): ElicitAnswer => {
      questions.push(params);
      return say ? { action: "accept", content: { approve: true } } : { action: "decline" };
    };
    await withListener(async (proxy, control) => {
      const client = await connectAs(kind, { url: proxy.url }, { elicit });
      try {
        const granted = await client.callTool("add", { a: 2, b: 3 });
        equal(granted.isError ?? false, false, JSON.stringify(granted));
        match(textOf(granted), /5/);
        equal(questions.length, 1, "asked once");
        say = false;
        const declined = await client.callTool("add", { a: 2, b: 3 });
        equal(declined.isError, true);
        ok(textOf(declined).startsWith(DENIAL_PREFIX), textOf(declined));
        match(textOf(declined), /declined/);
        equal(questions.length, 2);
        const listed = JSON.parse((await ctl(control, "approvals")).stdout);
        equal(listed.approvals.length, 0, "nothing is left waiting");
      } finally {
        await client.close();
      }
    });
  });
}
