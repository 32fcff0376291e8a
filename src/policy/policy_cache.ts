/**
 * The checked-policy cache: the result of parsing and schema-checking a policy's text, kept on
 * disk under the SHA-256 of that exact text (and of the checker that produced it), so that a
 * proxy starting with a policy it has seen before loads neither the YAML parser nor the schema
 * library. The policy is still compiled (every rule checked again) on each load.
 *
 * Safety: a changed policy has another key, so a stale entry is never used; an entry is used
 * only from a folder and file of this user that no one else may write, and only when its own
 * checksum and key match; anything else counts as a miss and the policy is checked in full.
 */
import denoJson from "../../deno.json" with { type: "json" };
import { BUILD_STAMP_URL, shortCommit } from "../cli/version.ts";

/** Bumped when the layout of an entry changes (2: the policy's entries as a list of pairs). */
const FORMAT = 2;
/** An entry is the checked policy as JSON: larger than any sane policy's, it is not read. */
const MAX_ENTRY_BYTES = 32 * 1024 * 1024;
/** Entries kept; the least recently written go first. */
export const MAX_ENTRIES = 64;
/** The files whose text decides what a checked policy is, beside this module. */
const CHECKER_FILES = ["./schema.ts", "./loader.ts"];

export interface PolicyCacheOptions {
  /** What the key depends on besides the text: the checker (see `checkerFingerprint`). */
  fingerprint: string;
  /** Where misses that are not plain absences are explained (debug). */
  log?: (message: string) => void;
  /** This user's id (null where the system has none); `Deno.uid` by default. */
  uid?: () => number | null;
}

interface Entry {
  format: number;
  key: string;
  /** SHA-256 of `policy`, so that a damaged file is never taken for a checked policy. */
  policySha256: string;
  /** The checked policy, as JSON text. */
  policy: string;
}

export class PolicyCache {
  readonly #fingerprint: string;
  readonly #log: (message: string) => void;
  readonly #uid: () => number | null;

  constructor(readonly dir: string, options: PolicyCacheOptions) {
    this.#fingerprint = options.fingerprint;
    this.#log = options.log ?? (() => {});
    this.#uid = options.uid ?? (() => Deno.uid());
  }

  /** The key of a policy's text: SHA-256 of the format, the checker's fingerprint and the text. */
  keyOf(text: string): Promise<string> {
    return sha256(`intercept-policy-cache\u0000${FORMAT}\u0000${this.#fingerprint}\u0000${text}`);
  }

  /**
   * The checked policy stored under `key` (plain data, to be compiled), or null: a missing,
   * unsafe, damaged or foreign entry is never used.
   */
  async read(key: string): Promise<unknown | null> {
    const path = this.#pathOf(key);
    try {
      const problem = await this.#unsafeFolder() ?? await unsafeFile(path, this.#uid());
      if (problem === "missing") return null;
      if (problem) return this.#miss(`${path} ${problem}`);
      const entry = JSON.parse(await Deno.readTextFile(path)) as Partial<Entry>;
      if (
        entry?.format !== FORMAT || entry.key !== key || typeof entry.policy !== "string" ||
        typeof entry.policySha256 !== "string"
      ) return this.#miss(`${path} is not an entry of this cache`);
      if (await sha256(entry.policy) !== entry.policySha256) {
        return this.#miss(`${path} is damaged (its checksum does not match)`);
      }
      const policy: unknown = JSON.parse(entry.policy);
      if (typeof policy !== "object" || policy === null || Array.isArray(policy)) {
        return this.#miss(`${path} holds no policy`);
      }
      return policy;
    } catch (error) {
      return this.#miss(`${path} cannot be read: ${(error as Error).message}`);
    }
  }

  /** Stores a checked policy under `key` (atomically); a failure only costs the next load. */
  async write(key: string, policy: unknown): Promise<void> {
    const path = this.#pathOf(key);
    const temporary = `${path}.${Deno.pid}-${crypto.randomUUID()}.tmp`;
    try {
      await Deno.mkdir(this.dir, { recursive: true, mode: 0o700 });
      const problem = await this.#unsafeFolder();
      if (problem) throw new Error(`the folder ${problem}`);
      const text = JSON.stringify(policy);
      const entry: Entry = { format: FORMAT, key, policySha256: await sha256(text), policy: text };
      await Deno.writeTextFile(temporary, JSON.stringify(entry), { mode: 0o600, createNew: true });
      await Deno.rename(temporary, path);
      await this.#prune();
    } catch (error) {
      await Deno.remove(temporary).catch(() => {});
      this.#log(`Cannot write the policy cache in ${this.dir}: ${(error as Error).message}`);
    }
  }

  #pathOf(key: string): string {
    return `${this.dir}/${key}.json`;
  }

  #miss(reason: string): null {
    this.#log(`Policy cache not used: ${reason}`);
    return null;
  }

  /** Why the folder cannot be trusted; null when it can, "missing" when it is not there. */
  async #unsafeFolder(): Promise<string | null> {
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(this.dir);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return "missing";
      throw error;
    }
    if (!info.isDirectory) return "is not a folder";
    return unsafeOwnership(info, this.#uid());
  }

  /** Keeps the newest `MAX_ENTRIES` entries, and clears temporary files a crash left. */
  async #prune(): Promise<void> {
    const entries: { path: string; at: number }[] = [];
    for await (const item of Deno.readDir(this.dir)) {
      if (!item.isFile || !/^[0-9a-f]{64}\.json(\..+\.tmp)?$/.test(item.name)) continue;
      const path = `${this.dir}/${item.name}`;
      const at = (await Deno.lstat(path).catch(() => null))?.mtime?.getTime() ?? 0;
      if (item.name.endsWith(".tmp") && Date.now() - at < 3_600_000) continue;
      entries.push({ path, at: item.name.endsWith(".tmp") ? -1 : at });
    }
    entries.sort((a, b) => b.at - a.at);
    const old = entries.filter((entry, index) => entry.at < 0 || index >= MAX_ENTRIES);
    for (const entry of old) await Deno.remove(entry.path).catch(() => {});
  }
}

async function unsafeFile(path: string, uid: number | null): Promise<string | null> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "missing";
    throw error;
  }
  if (!info.isFile) return "is not a regular file";
  if (info.size > MAX_ENTRY_BYTES) return `is larger than ${MAX_ENTRY_BYTES} bytes`;
  return unsafeOwnership(info, uid);
}

/** Another user's, or writable by others: someone else could plant a weaker policy there. */
function unsafeOwnership(info: Deno.FileInfo, uid: number | null): string | null {
  if (uid !== null && info.uid !== null && info.uid !== uid) {
    return `belongs to uid ${info.uid}, not to this user (uid ${uid})`;
  }
  if (info.mode !== null && (info.mode & 0o022) !== 0) {
    return `may be written by other users (mode ${(info.mode & 0o777).toString(8)})`;
  }
  return null;
}

/**
 * The default folder: `$XDG_CACHE_HOME/intercept/policies`, else `~/.cache/intercept/policies`
 * (`%LOCALAPPDATA%\intercept\policies` on Windows); null when none of these is known.
 */
export function defaultPolicyCacheDir(env: (name: string) => string | undefined): string | null {
  const base = env("XDG_CACHE_HOME") ||
    (env("HOME") ? `${env("HOME")}/.cache` : env("LOCALAPPDATA"));
  return base ? `${base.replace(/[\\/]+$/, "")}/intercept/policies` : null;
}

let fingerprint: Promise<string | null> | null = null;

/**
 * What a checked policy depends on besides its text: the parser's and schema library's
 * versions, and the checker's own code (a binary's build commit; from source, the text of the
 * files that check a policy). Null when it cannot be known: then nothing is cached.
 */
export function checkerFingerprint(): Promise<string | null> {
  return fingerprint ??= (async () => {
    const versions = `${denoJson.version} ${denoJson.imports.yaml} ${denoJson.imports.zod}`;
    if (Deno.build.standalone) {
      const commit = await Deno.readTextFile(BUILD_STAMP_URL).then(
        (text) => shortCommit((JSON.parse(text) as { commit?: string }).commit),
        () => undefined,
      );
      return commit ? `${versions} binary ${commit}` : null;
    }
    try {
      const texts = await Promise.all(
        CHECKER_FILES.map((file) => Deno.readTextFile(new URL(file, import.meta.url))),
      );
      return `${versions} source ${await sha256(texts.join("\u0000"))}`;
    } catch {
      return null;
    }
  })();
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * The cache in `dir` (`"off"`: none; undefined: the default folder), or null when there is
 * none or the checker's fingerprint cannot be known.
 */
export async function openPolicyCache(
  dir: string | undefined,
  options: { log?: (message: string) => void; env?: (name: string) => string | undefined } = {},
): Promise<PolicyCache | null> {
  if (dir === "off") return null;
  const folder = dir ?? defaultPolicyCacheDir(options.env ?? ((name) => Deno.env.get(name)));
  const print = await checkerFingerprint();
  if (folder === null || print === null) return null;
  return new PolicyCache(folder, { fingerprint: print, log: options.log });
}
