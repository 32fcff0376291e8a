/**
 * Safe ground for a control socket: the folder is the user's own and closed to others (0700),
 * and a socket left behind by a dead proxy is cleared, while a live one is never taken over.
 */
import { connectionFailure } from "./socket_io.ts";

export class ControlSocketError extends Error {
  override name = "ControlSocketError";
}

/**
 * Makes `dir` a safe control folder: creates it with mode 0700 when missing, or checks the one
 * there. Never follows a symbolic link: the folder itself is made with a non-recursive mkdir
 * (which fails on anything already there, a link included), then checked with `lstat` (a real
 * folder of this user) before its mode is set. Its parent must not let other users rename what
 * is in it (owned by this user or root, and sticky when others may write), so the folder
 * checked is still the folder whose mode is set. Missing parents are made one at a time.
 */
export async function prepareControlFolder(dir: string): Promise<void> {
  const path = trimSlashes(dir);
  await ensureFolder(parentOf(path));
  await checkParent(parentOf(path), path);
  let created = true;
  try {
    await Deno.mkdir(path, { mode: 0o700 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    created = false;
  }
  // Throws for a link, a non-folder, another owner or a mode open to others.
  await checkControlFolder(path);
  if (!created) return;
  // mkdir's mode passes through the umask, which may have taken the owner's own bits.
  const mode = ((await Deno.lstat(path)).mode ?? 0) & 0o777;
  if (mode !== 0o700) {
    await Deno.chmod(path, 0o700);
    await checkControlFolder(path);
  }
}

/** A parent folder: made when missing, one level at a time, each 0700; never recursive. */
async function ensureFolder(path: string): Promise<void> {
  try {
    if ((await Deno.stat(path)).isDirectory) return;
    throw new ControlSocketError(`Cannot use control folder parent ${path}: it is not a folder`);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await ensureFolder(parentOf(path));
  try {
    await Deno.mkdir(path, { mode: 0o700 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    if (!(await Deno.stat(path)).isDirectory) {
      throw new ControlSocketError(`Cannot use control folder parent ${path}: it is not a folder`);
    }
  }
}

/** Refuses a parent in which someone else could swap the control folder for a link. */
async function checkParent(parent: string, dir: string): Promise<void> {
  const info = await Deno.stat(parent);
  const uid = Deno.uid();
  const mode = (info.mode ?? 0) & 0o7777;
  if (uid !== null && info.uid !== null && info.uid !== uid && info.uid !== 0) {
    throw new ControlSocketError(
      `Refusing control folder ${dir}: its parent ${parent} belongs to uid ${info.uid}, ` +
        `who could replace the folder`,
    );
  }
  if ((mode & 0o022) !== 0 && (mode & 0o1000) === 0) {
    throw new ControlSocketError(
      `Refusing control folder ${dir}: its parent ${parent} (mode ${octal(mode & 0o777)}) ` +
        `lets other users replace the folder; use a parent with the sticky bit, like /tmp`,
    );
  }
}

/**
 * Whether `dir` exists as a safe control folder: a real folder (not a symbolic link) that
 * belongs to this user and that no one else may write in. Throws when it exists but is not
 * safe, so that neither a proxy nor a dashboard trusts sockets someone else could plant.
 */
export async function checkControlFolder(dir: string): Promise<boolean> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  if (info.isSymlink) {
    throw new ControlSocketError(`Refusing control folder ${dir}: it is a symbolic link`);
  }
  if (!info.isDirectory) {
    throw new ControlSocketError(`Cannot use control folder ${dir}: it is not a folder`);
  }
  const uid = Deno.uid();
  if (uid !== null && info.uid !== null && info.uid !== uid) {
    throw new ControlSocketError(
      `Refusing control folder ${dir}: it belongs to uid ${info.uid}, not to this user (uid ${uid})`,
    );
  }
  const mode = (info.mode ?? 0) & 0o777;
  if (mode & 0o022) {
    throw new ControlSocketError(
      `Refusing control folder ${dir}: mode ${octal(mode)} lets other users write in it ` +
        `(run "chmod 700 ${dir}")`,
    );
  }
  return true;
}

/**
 * Makes `path` free for a new socket: removes a socket nobody listens on any more, and
 * refuses when a live proxy answers there or when something else than a socket is in the way.
 */
export async function claimSocketPath(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (info.isSocket === false) {
    throw new ControlSocketError(
      `Cannot create control socket ${path}: a file that is not a socket is in the way`,
    );
  }
  let conn: Deno.UnixConn;
  try {
    conn = await Deno.connect({ transport: "unix", path });
  } catch (error) {
    if (connectionFailure(error) !== "not-running") throw error;
    await removeIfPresent(path);
    return;
  }
  conn.close();
  throw new ControlSocketError(
    `Cannot create control socket ${path}: another intercept proxy is listening there`,
  );
}

export async function removeIfPresent(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

export function parentOf(path: string): string {
  const slash = path.replace(/\/+$/, "").lastIndexOf("/");
  if (slash < 0) return ".";
  return slash === 0 ? "/" : path.slice(0, slash);
}

function trimSlashes(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}
