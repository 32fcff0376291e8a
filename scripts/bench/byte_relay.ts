/**
 * Yardstick: a Deno process that copies bytes both ways between its stdio and a spawned
 * server, parsing nothing. `deno run -A byte_relay.ts -- CMD [ARGS...]`.
 */
import { eachChunk, eachStdinChunk, relay, spawnServer, writeStdout } from "./relay_io.ts";

const child = spawnServer(Deno.args);
await relay(
  child,
  (writer) => eachStdinChunk((bytes) => writer.write(bytes)),
  () => eachChunk(child.stdout, writeStdout),
);
