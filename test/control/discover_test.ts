/** discoverProxies(): live sockets found, stale ones skipped, dead proxies' sockets removed. */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { startControlServer } from "../../src/control/control_server.ts";
import { discoverProxies, pidOfSocket } from "../../src/control/discover.ts";
import { FakeTarget, makeStaleSocket, tempRoot } from "./support.ts";

/** Above Linux's largest pid_max (2^22): never a running process. */
const DEAD_PID = 4_194_305;

Deno.test("discoverProxies() finds live proxies, skips stale sockets and other files", async () => {
  await using temp = await tempRoot();
  const a = await startControlServer(`${temp.dir}/1001.sock`, new FakeTarget());
  const b = await startControlServer(`${temp.dir}/custom-name.sock`, new FakeTarget());
  try {
    const dead = `${temp.dir}/${DEAD_PID}.sock`;
    const aliveButStale = `${temp.dir}/${Deno.pid}.sock`;
    const unnamedStale = `${temp.dir}/old.sock`;
    await makeStaleSocket(dead);
    await makeStaleSocket(aliveButStale);
    await makeStaleSocket(unnamedStale);
    await Deno.writeTextFile(`${temp.dir}/notes.sock`, "not a socket");
    await Deno.writeTextFile(`${temp.dir}/readme.txt`, "");

    deepEqual(await discoverProxies(temp.dir), [a.path, b.path].sort());

    await rejects(Deno.lstat(dead), Deno.errors.NotFound);
    ok((await Deno.lstat(aliveButStale)).isSocket, "a live pid's socket is kept");
    ok((await Deno.lstat(unnamedStale)).isSocket, "a socket without a pid in its name is kept");
    equal(await Deno.readTextFile(`${temp.dir}/notes.sock`), "not a socket");
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("discoverProxies() is empty for a missing or empty folder", async () => {
  await using temp = await tempRoot();
  deepEqual(await discoverProxies(`${temp.root}/missing`), []);
  await Deno.mkdir(temp.dir);
  deepEqual(await discoverProxies(temp.dir), []);
});

Deno.test("discoverProxies() looks in every default place, $XDG_RUNTIME_DIR/intercept too", async () => {
  await using temp = await tempRoot();
  const previous = Deno.env.get("XDG_RUNTIME_DIR");
  Deno.env.set("XDG_RUNTIME_DIR", temp.root);
  const server = await startControlServer(`${temp.dir}/1001.sock`, new FakeTarget());
  try {
    // Other proxies of this user may run in /tmp/intercept-<uid> meanwhile.
    ok((await discoverProxies()).includes(server.path));
  } finally {
    if (previous === undefined) Deno.env.delete("XDG_RUNTIME_DIR");
    else Deno.env.set("XDG_RUNTIME_DIR", previous);
    await server.close();
  }
});

Deno.test("discoverProxies() over several folders skips an unsafe one and reports it", async () => {
  await using temp = await tempRoot();
  const server = await startControlServer(`${temp.dir}/1001.sock`, new FakeTarget());
  const open = `${temp.root}/open`;
  await Deno.mkdir(open);
  await Deno.chmod(open, 0o777);
  try {
    const problems: string[] = [];
    const found = await discoverProxies([temp.dir, open, `${temp.root}/missing`], {
      onProblem: (problem) => problems.push(problem),
    });
    deepEqual(found, [server.path]);
    equal(problems.length, 1);
    match(problems[0], /Refusing control folder .*open: mode 0777/);
    await rejects(discoverProxies([temp.dir, open]), /mode 0777/);
  } finally {
    await server.close();
  }
});

Deno.test("pidOfSocket() reads the pid from <pid>.sock names only", () => {
  equal(pidOfSocket("/run/user/0/intercept/1234.sock"), 1234);
  equal(pidOfSocket("1234.sock"), 1234);
  equal(pidOfSocket("/tmp/x/custom.sock"), null);
  equal(pidOfSocket("/tmp/x/12a.sock"), null);
});

Deno.test("discoverProxies() refuses a folder it cannot trust: a symlink, open to others", async () => {
  await using temp = await tempRoot();
  await Deno.mkdir(`${temp.root}/real`, { mode: 0o700 });
  await Deno.symlink(`${temp.root}/real`, temp.dir);
  await rejects(discoverProxies(temp.dir), /symbolic link/);
  await Deno.remove(temp.dir);
  await Deno.mkdir(temp.dir);
  await Deno.chmod(temp.dir, 0o777);
  await rejects(discoverProxies(temp.dir), /lets other users write/);
});

Deno.test("discoverProxies() refuses a folder another user owns", {
  ignore: Deno.uid() !== 0,
}, async () => {
  await using temp = await tempRoot();
  await Deno.mkdir(temp.dir, { mode: 0o700 });
  await Deno.chown(temp.dir, 65534, 65534);
  await rejects(discoverProxies(temp.dir), /belongs to uid 65534/);
});
