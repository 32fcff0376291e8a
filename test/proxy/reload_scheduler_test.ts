/** ReloadScheduler: a reload asked for while the first policy loads runs once it is in. */
import { deepEqual, equal } from "node:assert/strict";
import { ReloadScheduler } from "../../src/proxy/reload_scheduler.ts";

function setUp(fail = false) {
  const lines: string[] = [];
  let reloads = 0;
  const scheduler = new ReloadScheduler({
    info: (message) => lines.push(`info: ${message}`),
    error: (message) => lines.push(`error: ${message}`),
  });
  const target = {
    reload: () => {
      reloads++;
      return fail ? Promise.reject(new Error("bad rule")) : Promise.resolve({ source: "p.yaml" });
    },
  };
  return { scheduler, target, lines, reloads: () => reloads };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("ReloadScheduler runs a reload asked for before the runtime exists once it does", async () => {
  const { scheduler, target, lines, reloads } = setUp();
  scheduler.request("file changed");
  equal(reloads(), 0);
  scheduler.attach(target);
  equal(reloads(), 1);
  await settle();
  deepEqual(lines, ["info: Policy reloaded (file changed) from p.yaml"]);
});

Deno.test("ReloadScheduler reloads at once after attach, and reports a refusal", async () => {
  const { scheduler, target, lines, reloads } = setUp(true);
  scheduler.attach(target);
  equal(reloads(), 0, "nothing was asked for before");
  scheduler.request("SIGHUP");
  equal(reloads(), 1);
  await settle();
  deepEqual(lines, ["error: Policy reload (SIGHUP) refused, the old one stays:\nbad rule"]);
});
