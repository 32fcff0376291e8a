/** The machine-wide deny file: written atomically and 0600 under a lock, checked on read. */
import { deepEqual, equal, rejects } from "node:assert/strict";
import {
  MachineDenyFileError,
  readMachineDenies,
  updateMachineDenies,
  withDeny,
  withoutDeny,
} from "../../src/control/machine_denies.ts";
import { MAX_LIVE_DENIES } from "../../src/state/live_denies.ts";
import { tempRoot } from "./support.ts";

const deny = (pattern: string, reason = "r") => ({ pattern, reason, by: null, at: 1 });

Deno.test("updateMachineDenies() writes the file 0600; readMachineDenies() reads it back", async () => {
  await using temp = await tempRoot();
  const path = `${temp.dir}/denies.json`;
  deepEqual(await readMachineDenies(path), [], "no file: no denies");
  await updateMachineDenies(path, (list) => withDeny(list, deny("get-*", "incident")));
  equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  equal((await Deno.stat(temp.dir)).mode! & 0o777, 0o700, "the folder is made safe");
  deepEqual(await readMachineDenies(path), [deny("get-*", "incident")]);
  await updateMachineDenies(path, (list) => withoutDeny(list, "get-*"));
  deepEqual(await readMachineDenies(path), []);
});

Deno.test("updateMachineDenies() loses no change when writers race", async () => {
  await using temp = await tempRoot();
  const path = `${temp.dir}/denies.json`;
  await Promise.all(
    Array.from(
      { length: 20 },
      (_, i) => updateMachineDenies(path, (list) => withDeny(list, deny(`tool-${i}`))),
    ),
  );
  equal((await readMachineDenies(path)).length, 20);
});

Deno.test("readMachineDenies() refuses a file that is not private, not JSON or not ours", async () => {
  await using temp = await tempRoot();
  await Deno.mkdir(temp.dir, { mode: 0o700 });
  const path = `${temp.dir}/denies.json`;
  const cases: [string, number, RegExp][] = [
    ['{"version":1,"denies":[]}', 0o644, /open to other users/],
    ["{oops", 0o600, /is not JSON/],
    ['{"denies":[]}', 0o600, /not a machine deny file/],
    [
      '{"version":1,"denies":[{"pattern":"","reason":"r","at":1}]}',
      0o600,
      /pattern must be 1 to 256/,
    ],
    [
      '{"version":1,"denies":[{"pattern":"a","reason":"r","at":1},{"pattern":"a","reason":"s","at":2}]}',
      0o600,
      /names a pattern twice/,
    ],
  ];
  for (const [text, mode, message] of cases) {
    await Deno.writeTextFile(path, text);
    await Deno.chmod(path, mode);
    await rejects(
      readMachineDenies(path),
      (error: Error) => error instanceof MachineDenyFileError && message.test(error.message),
    );
  }
});

Deno.test("withDeny() refuses a deny past the bound and ignores one already in force", () => {
  const full = Array.from({ length: MAX_LIVE_DENIES }, (_, i) => deny(`t${i}`));
  let refused = false;
  try {
    withDeny(full, deny("one-more"));
  } catch (error) {
    refused = error instanceof RangeError;
  }
  equal(refused, true);
  equal(withDeny(full, deny("t1")), null, "same reason: nothing to write");
  equal(withDeny(full, deny("t1", "new"))!.length, MAX_LIVE_DENIES);
});
