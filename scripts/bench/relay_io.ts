/**
 * What the benchmark's yardstick relays share: the server they spawn and the cheapest reads and
 * writes Deno offers (reused read buffers, no stream layer on stdin and stdout), so that what
 * they cost is the floor any Deno process in the pipe pays. Each direction reads, hands the
 * chunk on and writes before it reads again (backpressure both ways).
 */

const CHUNK_BYTES = 64 * 1024;

/** The server named after `--` (or by every argument), with piped stdin and stdout. */
export function spawnServer(args: readonly string[]): Deno.ChildProcess {
  const command = args[0] === "--" ? args.slice(1) : [...args];
  if (command.length === 0) throw new Error("Usage: RELAY.ts -- CMD [ARGS...]");
  return new Deno.Command(command[0], {
    args: command.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

/** Calls `chunk` with each read of our stdin (the bytes are valid until it resolves). */
export async function eachStdinChunk(
  chunk: (bytes: Uint8Array) => Promise<void>,
): Promise<void> {
  const buffer = new Uint8Array(CHUNK_BYTES);
  for (;;) {
    const count = await Deno.stdin.read(buffer);
    if (count === null) return;
    await chunk(buffer.subarray(0, count));
  }
}

/** Calls `chunk` with each read of `readable`, through one buffer handed back and forth. */
export async function eachChunk(
  readable: ReadableStream<Uint8Array>,
  chunk: (bytes: Uint8Array) => Promise<void>,
): Promise<void> {
  const reader = readable.getReader({ mode: "byob" });
  let buffer = new Uint8Array(CHUNK_BYTES);
  for (;;) {
    const { value, done } = await reader.read(buffer);
    if (done || !value) return;
    await chunk(value);
    buffer = new Uint8Array(value.buffer);
  }
}

export async function writeStdout(bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await Deno.stdout.write(bytes.subarray(written));
  }
}

/** Relays until the server exits and its output is passed on; exits with its code. */
export async function relay(
  child: Deno.ChildProcess,
  up: (writer: WritableStreamDefaultWriter<Uint8Array>) => Promise<void>,
  down: () => Promise<void>,
): Promise<never> {
  const writer = child.stdin.getWriter();
  // Our stdin ending closes the server's, which ends it.
  up(writer).catch(() => {}).finally(() => writer.close().catch(() => {}));
  const downDone = down().catch(() => {});
  const status = await child.status;
  await downDone;
  Deno.exit(status.code);
}
