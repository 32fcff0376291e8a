/**
 * The bundled policy library: policies made by `intercept scan` against real servers, shipped
 * inside the binary (`deno compile --include src/policies/library`) and read the same way from
 * source. A policy is named `builtin:NAME` wherever a policy file is expected.
 */

export const BUILTIN_PREFIX = "builtin:";

/** Every bundled policy, by name; `library/NAME.yaml` and `library/NAME.cases.yaml` exist. */
export const LIBRARY_NAMES: readonly string[] = Object.freeze([
  "confluent-kafka",
  "everything",
  "filesystem",
  "github",
]);

/** True for `builtin:NAME` references. */
export function isBuiltinRef(path: string): boolean {
  return path.startsWith(BUILTIN_PREFIX);
}

/** The text of a bundled policy; for an unknown NAME, an Error that lists the bundled ones. */
export async function readLibraryPolicy(name: string): Promise<string> {
  return await Deno.readTextFile(libraryUrl(name, ".yaml"));
}

/** The text of a bundled policy's test cases (`intercept test builtin:NAME`). */
export async function readLibraryCases(name: string): Promise<string> {
  return await Deno.readTextFile(libraryUrl(name, ".cases.yaml"));
}

/** The text behind `builtin:NAME`, for the policy loader. */
export function readBuiltinPolicy(ref: string): Promise<string> {
  return readLibraryPolicy(ref.slice(BUILTIN_PREFIX.length));
}

function libraryUrl(name: string, suffix: string): URL {
  if (!LIBRARY_NAMES.includes(name)) {
    throw new Error(`no bundled policy "${name}" (bundled: ${LIBRARY_NAMES.join(", ")})`);
  }
  return new URL(`./library/${name}${suffix}`, import.meta.url);
}
