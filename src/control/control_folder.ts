/**
 * Safe ground for a control socket: the folder is the user's own and closed to others (0700),
 * and a socket left behind by a dead proxy is cleared, while a live one is never taken over.
 */
import { connectionFailure } from "./socket_io.ts";

export class ControlSocketError extends Error {
  override name = "ControlSocketError";
}

/** Creates `dir` with mode 0700 if missing; refuses one another user owns or others may write. */
export async function prepareControlFolder(dir: string): Promise<void> {
  if (await checkControlFolder(dir)) return;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode passes through the umask; say exactly what we mean.
  await Deno.chmod(dir, 0o700);
  await checkControlFolder(dir);
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

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}
