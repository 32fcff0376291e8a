/**
 * startControlServer() on disk: folder 0700 and socket 0600 owned by this user, unsafe folders
 * refused, stale sockets replaced, live ones left alone, the socket removed on close.
 */
import { equal, match, ok, rejects } from "node:assert/strict";
import { startControlServer } from "../../src/control/control_server.ts";
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
