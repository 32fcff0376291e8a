/**
 * Yardstick: a Deno process that splits every line both ways, parses it and writes it
 * re-serialised (`JSON.parse`, `JSON.stringify`): the floor of any proxy that forwards what it
 * parsed. `deno run -A parse_relay.ts -- CMD [ARGS...]`.
 */
import { eachChunk, eachStdinChunk, relay, spawnServer, writeStdout } from "./relay_io.ts";

const NEWLINE = 0x0a;
const encoder = new TextEncoder();

/** Returns a chunk handler that writes each whole line it sees re-serialised. */
function reserialiser(write: (bytes: Uint8Array) => Promise<void>) {
  const decoder = new TextDecoder();
  let partial = "";
  return (bytes: Uint8Array): Promise<void> => {
    const out: string[] = [];
    let start = 0;
    for (let end = bytes.indexOf(NEWLINE); end >= 0; end = bytes.indexOf(NEWLINE, start)) {
      const line = partial + decoder.decode(bytes.subarray(start, end));
      partial = "";
      if (line.length > 0) out.push(JSON.stringify(JSON.parse(line)));
      start = end + 1;
    }
    if (start < bytes.length) partial += decoder.decode(bytes.subarray(start), { stream: true });
    return out.length === 0 ? Promise.resolve() : write(encoder.encode(out.join("\n") + "\n"));
  };
}

const child = spawnServer(Deno.args);
await relay(
  child,
  (writer) => eachStdinChunk(reserialiser((bytes) => writer.write(bytes))),
  () => eachChunk(child.stdout, reserialiser(writeStdout)),
);
