/**
 * startControlServer() on disk: folder 0700 and socket 0600 owned by this user, unsafe folders
 * refused, stale sockets replaced, live ones left alone, the socket removed on close.
 */
import { equal, match, ok, rejects } from "node:assert/strict";
import { startControlServer } from "../../src/control/control_server.ts";
import { prepareControlFolder } from "../../src/control/control_folder.ts";
import { FakeTarget, makeStaleSocket, RawClient, tempRoot } from "./support.ts";

const isRoot = Deno.uid() === 0;

async function assertAnswers(path: string): Promise<void> {
  const client = await RawClient.connect(path);
  try {
    equal((await client.request({ id: 1, method: "status" })).id, 1);
  } finally {
    await client.close();
  }
}

Deno.test("startControlServer() creates the folder 0700 and the socket 0600, owned by us", async () => {
  await using temp = await tempRoot();
  const server = await startControlServer(`${temp.dir}/1.sock`, new FakeTarget());
  try {
    const folder = await Deno.stat(temp.dir);
    const socket = await Deno.lstat(server.path);
    equal(folder.mode! & 0o777, 0o700);
    equal(socket.mode! & 0o777, 0o600);
    ok(socket.isSocket);
    equal(folder.uid, Deno.uid());
    equal(socket.uid, Deno.uid());
    await assertAnswers(server.path);
  } finally {
    await server.close();
  }
});

Deno.test("startControlServer() creates missing parent folders under a umask", async () => {
  await using temp = await tempRoot();
  const server = await startControlServer(`${temp.dir}/deeper/1.sock`, new FakeTarget());
  try {
    equal((await Deno.stat(`${temp.dir}/deeper`)).mode! & 0o777, 0o700);
  } finally {
    await server.close();
  }
});

Deno.test({
  name: "startControlServer() refuses a folder owned by another user",
  ignore: !isRoot,
  fn: async () => {
    await using temp = await tempRoot();
    await Deno.mkdir(temp.dir, { mode: 0o700 });
    await Deno.chown(temp.dir, 65534, 65534);
    await rejects(
      startControlServer(`${temp.dir}/1.sock`, new FakeTarget()),
      (error: Error) => {
        match(
          error.message,
          new RegExp(`Refusing control folder ${temp.dir}: it belongs to uid 65534`),
        );
        return true;
      },
    );
    await rejects(Deno.lstat(`${temp.dir}/1.sock`), Deno.errors.NotFound);
  },
});

Deno.test("startControlServer() refuses a folder others may write in", async () => {
  await using temp = await tempRoot();
  for (const mode of [0o770, 0o702, 0o777]) {
    await Deno.mkdir(temp.dir, { recursive: true });
    await Deno.chmod(temp.dir, mode);
    await rejects(
      startControlServer(`${temp.dir}/1.sock`, new FakeTarget()),
      (error: Error) => {
        match(
          error.message,
          new RegExp(`Refusing control folder ${temp.dir}: mode 0${mode.toString(8)}`),
        );
        match(error.message, /chmod 700/);
        return true;
      },
    );
  }
});

Deno.test("startControlServer() accepts an existing private folder as it is", async () => {
  await using temp = await tempRoot();
  await Deno.mkdir(temp.dir);
  await Deno.chmod(temp.dir, 0o750);
  const server = await startControlServer(`${temp.dir}/1.sock`, new FakeTarget());
  try {
    equal((await Deno.stat(temp.dir)).mode! & 0o777, 0o750);
    equal((await Deno.lstat(server.path)).mode! & 0o777, 0o600);
  } finally {
    await server.close();
  }
});

Deno.test("startControlServer() replaces a stale socket left by a dead proxy", async () => {
  await using temp = await tempRoot();
  await Deno.mkdir(temp.dir, { mode: 0o700 });
  const path = `${temp.dir}/1.sock`;
  await makeStaleSocket(path);
  ok((await Deno.lstat(path)).isSocket, "the stale socket is there");
  await rejects(Deno.connect({ transport: "unix", path }), Deno.errors.ConnectionRefused);
  const server = await startControlServer(path, new FakeTarget());
  try {
    await assertAnswers(path);
  } finally {
    await server.close();
  }
});

Deno.test("startControlServer() refuses a path where a live proxy answers", async () => {
  await using temp = await tempRoot();
  const path = `${temp.dir}/1.sock`;
  const first = await startControlServer(path, new FakeTarget());
  try {
    await rejects(startControlServer(path, new FakeTarget()), (error: Error) => {
      match(error.message, new RegExp(`${path}: another intercept proxy is listening there`));
      return true;
    });
    await assertAnswers(path);
  } finally {
    await first.close();
  }
});

Deno.test("startControlServer() refuses a path taken by a file that is not a socket", async () => {
  await using temp = await tempRoot();
  await Deno.mkdir(temp.dir, { mode: 0o700 });
  const path = `${temp.dir}/1.sock`;
  await Deno.writeTextFile(path, "notes");
  await rejects(startControlServer(path, new FakeTarget()), /not a socket is in the way/);
  equal(await Deno.readTextFile(path), "notes");
});

Deno.test("ControlServer.close() removes the socket, ends connections, and can be repeated", async () => {
  await using temp = await tempRoot();
  const target = new FakeTarget();
  const server = await startControlServer(`${temp.dir}/1.sock`, target);
  const client = await RawClient.connect(server.path);
  await client.request({ id: 1, method: "subscribe" });
  equal(target.listenerCount, 1);
  await server.close();
  await server.close();
  await rejects(Deno.lstat(server.path), Deno.errors.NotFound);
  await rejects(client.next(), /closed the connection/);
  await client.close();
  equal(target.listenerCount, 0);
});

Deno.test("prepareControlFolder() never follows a link planted just before its mkdir", async () => {
  await using temp = await tempRoot();
  const victim = `${temp.root}/victim`;
  await Deno.mkdir(victim);
  await Deno.chmod(victim, 0o755);
  // The attacker wins the race: the link appears between the check and the mkdir.
  const realMkdir = Deno.mkdir;
  Deno.mkdir = async (path: string | URL, options?: Deno.MkdirOptions) => {
    if (String(path) === temp.dir) await Deno.symlink(victim, temp.dir);
    return await realMkdir(path, options);
  };
  try {
    await rejects(
      prepareControlFolder(temp.dir),
      /Refusing control folder .*: it is a symbolic link/,
    );
  } finally {
    Deno.mkdir = realMkdir;
  }
  equal((await Deno.stat(victim)).mode! & 0o777, 0o755, "the link's target keeps its mode");
  ok((await Deno.lstat(temp.dir)).isSymlink);
});

Deno.test("prepareControlFolder() refuses a parent where others could swap the folder", async () => {
  await using temp = await tempRoot();
  const open = `${temp.root}/open`;
  await Deno.mkdir(open);
  await Deno.chmod(open, 0o777);
  await rejects(
    prepareControlFolder(`${open}/intercept`),
    /its parent .*\/open \(mode 0777\) lets other users replace the folder/,
  );
  await rejects(Deno.lstat(`${open}/intercept`), Deno.errors.NotFound);
  // A sticky world-writable parent, like /tmp, is safe: others cannot rename our entries.
  await Deno.chmod(open, 0o1777);
  await prepareControlFolder(`${open}/intercept`);
  equal((await Deno.lstat(`${open}/intercept`)).mode! & 0o777, 0o700);
});

Deno.test("prepareControlFolder() sets 0700 when the umask took the owner's bits", async () => {
  await using temp = await tempRoot();
  const previous = Deno.umask(0o277);
  try {
    await prepareControlFolder(temp.dir);
  } finally {
    Deno.umask(previous);
  }
  const info = await Deno.lstat(temp.dir);
  ok(info.isDirectory);
  equal(info.mode! & 0o777, 0o700);
});
