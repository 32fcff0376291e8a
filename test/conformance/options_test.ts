import { deepEqual, equal, throws } from "node:assert/strict";
import { parseOptions, UsageError } from "../../scripts/conformance.ts";

Deno.test("parseOptions() defaults to every server and the whole suite", () => {
  deepEqual(parseOptions([]), { json: null, targets: ["everything", "modern"], scenarios: [] });
});

Deno.test("parseOptions() reads servers, scenarios and the JSON file, in both spellings", () => {
  deepEqual(
    parseOptions([
      "--server",
      "modern",
      "--scenario=ping",
      "--scenario",
      "tools-list",
      "--json=o.json",
    ]),
    { json: "o.json", targets: ["modern"], scenarios: ["ping", "tools-list"] },
  );
  equal(parseOptions(["--suite", "active"]).suite, "active");
});

Deno.test("parseOptions() refuses unknown servers and arguments, and a suite with scenarios", () => {
  throws(
    () => parseOptions(["--server", "other"]),
    /--server "other" is not one of everything, modern/,
  );
  throws(() => parseOptions(["--verbose"]), /Unknown argument "--verbose"/);
  throws(() => parseOptions(["--json"]), /--json needs a value/);
  throws(() => parseOptions(["--suite", "all", "--scenario", "ping"]), /do not go together/);
  throws(
    () => parseOptions(["--help"]),
    (error) => error instanceof UsageError && error.problem === null,
  );
});
