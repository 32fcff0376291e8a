/**
 * Reading a policy's text: a file, or a bundled policy for `builtin:NAME`. No parser here, so
 * that the proxy can read and fingerprint a policy without loading one.
 */
import { isBuiltinRef, readBuiltinPolicy } from "../policies/library.ts";
import { PolicyLoadError } from "./load_error.ts";

/** A policy is text a person wrote: anything larger is a mistake (or a device). */
export const MAX_POLICY_BYTES = 4 * 1024 * 1024;

/** The text of a policy file, or of a bundled policy for `builtin:NAME`. */
export async function readPolicySource(path: string): Promise<string> {
  try {
    if (isBuiltinRef(path)) return await readBuiltinPolicy(path);
    const info = await Deno.stat(path);
    if (!info.isFile) throw new Error("not a regular file");
    if (info.size > MAX_POLICY_BYTES) throw new Error(`larger than ${MAX_POLICY_BYTES} bytes`);
    return await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : (error as Error).message;
    throw new PolicyLoadError([{
      file: path,
      line: 1,
      col: 1,
      message: `Cannot read policy: ${reason}`,
    }]);
  }
}

/**
 * Whether this user owns the policy file, and so could change the policy anyway: only then may
 * a cache this user can write stand in for checking it. Not for a bundled policy.
 */
export async function ownedByThisUser(path: string, uid = Deno.uid()): Promise<boolean> {
  if (isBuiltinRef(path)) return false;
  try {
    const info = await Deno.stat(path);
    return uid === null || info.uid === null || info.uid === uid;
  } catch {
    return false;
  }
}
