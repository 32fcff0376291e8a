/** `intercept ctl` run as a real process against control servers started in this process. */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { type ControlServer, startControlServer } from "../../src/control/control_server.ts";
import { type ApprovalView, RELOAD_FAILED } from "../../src/control/protocol.ts";
import { PolicyLoadError } from "../../src/policy/loader.ts";
import { interceptCommand, ROOT } from "../e2e/intercept_command.ts";
import { fakeStatus, FakeTarget, tempRoot } from "./support.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `intercept ctl ARGS...` looking for proxies in `<root>/intercept` only. */
async function ctl(root: string, ...args: string[]): Promise<Run> {
  const env = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([name]) => !name.startsWith("INTERCEPT_")),
  );
  const { command, args: argv } = interceptCommand(["ctl", ...args]);
  const output = await new Deno.Command(command, {
    args: argv,
    cwd: ROOT,
    env: { ...env, INTERCEPT_CONTROL_DIR: `${root}/intercept` },
    clearEnv: true,
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Proxies (fake targets) with control sockets `<pid>.sock` in `<root>/intercept`. */
async function withProxies(
  count: number,
  run: (root: string, proxies: { target: FakeTarget; server: ControlServer }[]) => Promise<void>,
): Promise<void> {
  await using temp = await tempRoot();
  const proxies: { target: FakeTarget; server: ControlServer }[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const target = new FakeTarget();
      target.statusResult = fakeStatus(1001 + i);
      const server = await startControlServer(`${temp.dir}/${1001 + i}.sock`, target);
      proxies.push({ target, server });
    }
    await run(temp.root, proxies);
  } finally {
    await Promise.all(proxies.map(({ server }) => server.close()));
  }
}

Deno.test("intercept ctl status prints the only proxy's status as JSON", async () => {
  await withProxies(1, async (root, [proxy]) => {
    const found = await ctl(root, "status");
    equal(found.code, 0, found.stderr);
    deepEqual(JSON.parse(found.stdout), proxy.target.statusResult);
    const named = await ctl(
      `${root}/elsewhere`,
      "--control",
      proxy.server.path,
      "status",
      "--json",
    );
    equal(named.code, 0, named.stderr);
    equal(JSON.parse(named.stdout).pid, 1001);
  });
});

Deno.test("intercept ctl deny, allow and reset reach the proxy", async () => {
  await withProxies(1, async (root, [{ target }]) => {
    const deny = await ctl(root, "deny", "produce-message", "--reason", "incident 42");
    equal(deny.code, 0, deny.stderr);
    deepEqual(JSON.parse(deny.stdout), { ok: true, tool: "produce-message" });
    equal((await ctl(root, "allow", "produce-message")).code, 0);
    equal((await ctl(root, "reset", "produce-message")).code, 0);
    equal((await ctl(root, "reset")).code, 0);
    const by = `${Deno.env.get("USER") || Deno.env.get("LOGNAME") || `uid ${Deno.uid()}`} via ctl`;
    deepEqual(target.actions, [
      ["deny", "produce-message", "incident 42", by],
      ["allow", "produce-message", by],
      ["reset", "produce-message", by],
      ["reset", null, by],
    ]);
  });
});

Deno.test("intercept ctl exits 1 when the proxy refuses: allow of a tool not denied", async () => {
  await withProxies(1, async (root) => {
    const run = await ctl(root, "allow", "produce-message");
    equal(run.code, 1, run.stderr);
    match(run.stderr, /"produce-message" is not live-denied/);
    equal(JSON.parse(run.stdout).error.code, -32002);
  });
});

Deno.test("intercept ctl reload exits 1 on a refused policy and prints every error", async () => {
  await withProxies(1, async (root, [{ target }]) => {
    target.reloadWith = () =>
      Promise.reject(
        new PolicyLoadError([
          { file: "kafka.yaml", line: 5, col: 9, message: 'Unknown key "acton"' },
          { file: "kafka.yaml", line: 7, col: 1, message: "Bad window" },
        ]),
      );
    const run = await ctl(root, "reload");
    equal(run.code, 1, run.stderr);
    match(run.stderr, /^kafka\.yaml:5:9: Unknown key "acton"$/m);
    match(run.stderr, /^kafka\.yaml:7:1: Bad window$/m);
    equal(JSON.parse(run.stdout).error.code, RELOAD_FAILED);
    target.reloadWith = () => Promise.resolve({ ok: true, source: "k.yaml", toolsChanged: true });
    const fixed = await ctl(root, "reload");
    equal(fixed.code, 0, fixed.stderr);
    deepEqual(JSON.parse(fixed.stdout), { ok: true, source: "k.yaml", toolsChanged: true });
  });
});

Deno.test("intercept ctl without a running proxy exits 3 naming where it looked", async () => {
  await using temp = await tempRoot();
  const run = await ctl(temp.root, "status");
  equal(run.code, 3);
  match(run.stderr, new RegExp(`no running intercept proxy found in ${temp.dir}`));
});

Deno.test("intercept ctl exits 4 when nothing answers at --control PATH", async () => {
  await using temp = await tempRoot();
  const missing = await ctl(temp.root, "--control", `${temp.root}/x.sock`, "status");
  equal(missing.code, 4);
  match(missing.stderr, /x\.sock: the proxy is not running/);
  await Deno.writeTextFile(`${temp.root}/file.sock`, "");
  const notSocket = await ctl(temp.root, "--control", `${temp.root}/file.sock`, "deny", "x");
  equal(notSocket.code, 4, notSocket.stderr);
});

Deno.test("intercept ctl with several proxies and no --all exits 2 listing them by name", async () => {
  await withProxies(2, async (root, proxies) => {
    proxies[0].target.statusResult = { ...fakeStatus(1001), name: "kafka-prod" };
    const run = await ctl(root, "deny", "x");
    equal(run.code, 2);
    match(
      run.stderr,
      /2 intercept proxies are running; pick one with --control PATH, or use --all/,
    );
    match(run.stderr, new RegExp(`pid 1001\\s+kafka-prod\\s+${proxies[0].server.path}`));
    match(run.stderr, new RegExp(`pid 1002\\s+\\(no name\\)\\s+${proxies[1].server.path}`));
    for (const { target } of proxies) deepEqual(target.actions, []);
  });
});

Deno.test("intercept ctl status with several proxies prints every one of them", async () => {
  await withProxies(3, async (root, proxies) => {
    proxies[1].target.statusResult = { ...fakeStatus(1002), name: "github" };
    const run = await ctl(root, "status");
    equal(run.code, 0, run.stderr);
    const printed = JSON.parse(run.stdout);
    deepEqual(printed.map((p: { path: string }) => p.path), proxies.map((p) => p.server.path));
    deepEqual(printed.map((p: { name: string | null }) => p.name), [null, "github", null]);
    deepEqual(printed.map((p: { result: { pid: number } }) => p.result.pid), [1001, 1002, 1003]);
  });
});

Deno.test("intercept ctl --all runs on every proxy and prints each path's result", async () => {
  await withProxies(2, async (root, proxies) => {
    const run = await ctl(root, "--all", "deny", "produce-message", "--reason", "stop");
    equal(run.code, 0, run.stderr);
    deepEqual(
      JSON.parse(run.stdout),
      proxies.map(({ server }) => ({
        path: server.path,
        name: null,
        result: { ok: true, tool: "produce-message", scope: "machine" },
      })),
    );
    const file = JSON.parse(await Deno.readTextFile(`${root}/intercept/denies.json`));
    deepEqual(file.denies.map((d: { pattern: string }) => d.pattern), ["produce-message"]);
    for (const { target } of proxies) {
      equal(target.actions.length, 1);
      deepEqual(target.actions[0].slice(0, 3), ["deny", "produce-message", "stop"]);
      match(String(target.actions[0][3]), / via ctl$/);
    }
    proxies[1].target.liveDenies.clear();
    // Allowing everywhere is idempotent: a proxy where the tool was not denied is done too.
    const allow = await ctl(root, "--all", "allow", "produce-message");
    equal(allow.code, 0, allow.stderr);
    const [first, second] = JSON.parse(allow.stdout);
    deepEqual(first.result, { ok: true, tool: "produce-message", scope: "machine" });
    equal(second.path, proxies[1].server.path);
    deepEqual(second.result, { ok: true, tool: "produce-message", wasDenied: false });
    const again = await ctl(root, "--all", "allow", "produce-message");
    equal(again.code, 0, again.stderr);
    const after = JSON.parse(await Deno.readTextFile(`${root}/intercept/denies.json`));
    deepEqual(after.denies, [], "lifted from the machine file");
  });
});

Deno.test("intercept ctl --all deny with no proxy running keeps it for later proxies", async () => {
  await using temp = await tempRoot();
  const run = await ctl(temp.root, "--all", "deny", "delete-*", "--reason", "incident 7");
  equal(run.code, 0, run.stderr);
  equal(run.stdout.trim(), "[]");
  match(run.stderr, /no proxy is running; the machine-wide deny is kept in .*denies\.json/);
  const path = `${temp.dir}/denies.json`;
  equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  const file = JSON.parse(await Deno.readTextFile(path));
  deepEqual(file.denies.map((d: { pattern: string; reason: string }) => [d.pattern, d.reason]), [
    ["delete-*", "incident 7"],
  ]);
  await Deno.writeTextFile(path, "{not json", { mode: 0o600 });
  const broken = await ctl(temp.root, "--all", "allow", "delete-*");
  equal(broken.code, 1);
  match(broken.stderr, /denies\.json is not JSON/);
});

Deno.test("intercept ctl refuses bad usage with exit 2", async () => {
  await using temp = await tempRoot();
  const cases: [string[], RegExp][] = [
    [["--timeout", "soon", "status"], /--timeout must be a whole number/],
    [[], /Name a command/],
    [["stop"], /Unknown command "stop"/],
    [["deny"], /deny needs a tool name/],
    [["allow", "a", "b"], /Too many arguments for allow/],
    [["status", "--reason", "x"], /--reason applies to deny and reject only/],
    [["approve"], /approve needs an approval id/],
    [["approve", "not-hex"], /"not-hex" is not an approval id/],
    [["reject", "ab12", "cd34"], /Too many arguments for reject/],
    [["approve", "ab12", "--reason", "x"], /--reason applies to deny and reject only/],
    [["--all", "--control", "/x.sock", "status"], /either --control PATH or --all/],
    [["--bogus", "status"], /Unknown flag --bogus/],
    [["--fleet", "status"], /--fleet applies to deny and allow, not to status/],
    [["--fleet", "--all", "deny", "x"], /either --all or --fleet/],
  ];
  for (const [args, message] of cases) {
    const run = await ctl(temp.root, ...args);
    equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    match(run.stderr, message);
  }
  const help = await ctl(temp.root, "--help");
  equal(help.code, 0);
  match(help.stdout, /Usage: intercept ctl/);
  ok(help.stdout.includes(`${temp.dir}`), "help names the control folder");
});

Deno.test("intercept ctl warns with a did-you-mean when no proxy lists the tool", async () => {
  await withProxies(1, async (root, [{ target }]) => {
    target.statusResult = {
      ...fakeStatus(1001),
      tools: [{ name: "produce-message", posture: "allow", allowed: 0, denied: 0, quotas: [] }],
    };
    const typo = await ctl(root, "deny", "prodce-message");
    equal(typo.code, 0, typo.stderr);
    match(
      typo.stderr,
      /warning: no proxy lists a tool named "prodce-message"; did you mean "produce-message"\? \(denied anyway\)/,
    );
    const glob = await ctl(root, "deny", "get-*");
    equal(glob.code, 0);
    match(glob.stderr, /no tool any proxy lists matches "get-\*" \(denied anyway\)/);
    const known = await ctl(root, "deny", "produce-*");
    equal(known.stderr, "");
    const allow = await ctl(root, "allow", "produce-messag");
    equal(allow.code, 1);
    match(allow.stderr, /no proxy has "produce-messag" live-denied/);
  });
});

Deno.test("intercept ctl --timeout: a proxy that does not answer exits 5, may still apply", async () => {
  await using temp = await tempRoot();
  await Deno.mkdir(temp.dir, { mode: 0o700 });
  // Accepts connections and never answers: a frozen proxy.
  const frozen = Deno.listen({ transport: "unix", path: `${temp.dir}/2001.sock` });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of frozen) held.push(conn);
  })();
  const live = await startControlServer(`${temp.dir}/2002.sock`, new FakeTarget());
  try {
    const started = Date.now();
    const one = await ctl(
      temp.root,
      "--control",
      `${temp.dir}/2001.sock`,
      "--timeout",
      "300",
      "deny",
      "x",
    );
    equal(one.code, 5, one.stderr);
    match(one.stderr, /did not answer "deny" within 300 ms; the request may still apply/);
    const all = await ctl(temp.root, "--timeout", "300", "status");
    equal(all.code, 5, all.stderr);
    const printed = JSON.parse(all.stdout);
    equal(printed.length, 2);
    equal(printed[0].error.code, null);
    equal(printed[1].result.pid, 4242);
    // Far below the 15 s a request waited before --timeout.
    ok(Date.now() - started < 10_000);
  } finally {
    frozen.close();
    await accepting;
    for (const conn of held) conn.close();
    await live.close();
  }
});

Deno.test("intercept ctl status gets in while the proxy holds its most idle connections", async () => {
  await withProxies(1, async (root, [{ server }]) => {
    const idle: Deno.Conn[] = [];
    try {
      for (let i = 0; i < 64; i++) {
        idle.push(await Deno.connect({ transport: "unix", path: server.path }));
      }
      const run = await ctl(root, "status");
      equal(run.code, 0, run.stderr);
      equal(JSON.parse(run.stdout).pid, 1001);
    } finally {
      for (const conn of idle) conn.close();
    }
  });
});

function heldCall(id: string): ApprovalView {
  return {
    id,
    tool: "produce-message",
    args: { topic: "orders" },
    session: "s-1",
    principal: "uid:ann",
    client: "claude-code",
    rule: "tools.produce-message",
    reason: "Writes to production topics need a human",
    requestedAt: 1_700_000_000_000,
    expiresAt: 1_700_000_300_000,
    from: ["operator"],
    askingUser: false,
  };
}

Deno.test("intercept ctl approvals lists held calls; approve and reject answer them", async () => {
  await withProxies(1, async (root, [{ target }]) => {
    target.held = [heldCall("aa11"), heldCall("bb22")];
    const list = await ctl(root, "approvals");
    equal(list.code, 0, list.stderr);
    deepEqual(JSON.parse(list.stdout), { approvals: target.held });
    const approve = await ctl(root, "approve", "AA11");
    equal(approve.code, 0, approve.stderr);
    deepEqual(JSON.parse(approve.stdout), { ok: true, id: "aa11" });
    const reject = await ctl(root, "reject", "bb22", "--reason", "not during the freeze");
    equal(reject.code, 0, reject.stderr);
    const [approved, rejected] = target.actions.slice(1);
    deepEqual(approved.slice(0, 2), ["approve", "aa11"]);
    match(String(approved[2]), / via ctl$/);
    deepEqual([rejected[0], rejected[1], rejected[3]], ["reject", "bb22", "not during the freeze"]);
    // Answered once: the id waits for nothing any more.
    const again = await ctl(root, "approve", "aa11");
    equal(again.code, 1);
    match(again.stderr, /No call waits for an operator's answer under id aa11/);
  });
});

Deno.test("intercept ctl approve with several proxies finds the one that holds the call", async () => {
  await withProxies(3, async (root, proxies) => {
    proxies[1].target.statusResult = { ...fakeStatus(1002), name: "kafka-prod" };
    proxies[1].target.held = [heldCall("c0ffee")];
    const run = await ctl(root, "approve", "c0ffee");
    equal(run.code, 0, run.stderr);
    deepEqual(JSON.parse(run.stdout), {
      path: proxies[1].server.path,
      name: "kafka-prod",
      result: { ok: true, id: "c0ffee" },
    });
    equal(run.stderr, "");
    deepEqual(proxies[1].target.held, []);
    const none = await ctl(root, "reject", "c0ffee");
    equal(none.code, 1);
    match(none.stderr, /no proxy holds a call under approval id c0ffee/);
    const lists = await ctl(root, "approvals");
    equal(lists.code, 0, lists.stderr);
    equal(JSON.parse(lists.stdout).length, 3);
  });
});
