/**
 * Finds the running proxies of this user: the sockets in the control folders that accept a
 * connection. A socket left by a proxy that died (its name is `<pid>.sock` and that process is
 * gone) is removed; other stale ones are only skipped.
 */
import { ControlClient, ControlConnectError } from "./control_client.ts";
import { checkControlFolder } from "./control_folder.ts";
import { discoveryDirs } from "./socket_path.ts";

const CONNECT_TIMEOUT_MS = 1000;

export interface DiscoverOptions {
  /** A folder that cannot be trusted is skipped and reported here instead of failing all. */
  onProblem?: (problem: string) => void;
}

/**
 * Paths of the live control sockets in `dirs` (default: every place proxies of this user put
 * them), sorted. A single folder that cannot be trusted throws; among several it is skipped
 * and reported to `onProblem` (or thrown when there is none).
 */
export async function discoverProxies(
  dirs: string | readonly string[] = discoveryDirs(),
  options: DiscoverOptions = {},
): Promise<string[]> {
  if (typeof dirs === "string") return await discoverIn(dirs);
  const found = await Promise.all(dirs.map(async (dir) => {
    try {
      return await discoverIn(dir);
    } catch (error) {
      if (!options.onProblem) throw error;
      options.onProblem((error as Error).message);
      return [];
    }
  }));
  return [...new Set(found.flat())].sort();
}

async function discoverIn(dir: string): Promise<string[]> {
  // Sockets in a folder someone else controls could be anyone's: refuse to look there.
  if (!await checkControlFolder(dir)) return [];
  const candidates: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.endsWith(".sock") && !entry.isDirectory) {
        candidates.push(`${dir.replace(/\/+$/, "")}/${entry.name}`);
      }
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const live = await Promise.all(candidates.map(probe));
  return candidates.filter((_, i) => live[i]).sort();
}

/** The pid in a socket name `<pid>.sock`, or null for other names. */
export function pidOfSocket(path: string): number | null {
  const match = /(?:^|\/)(\d+)\.sock$/.exec(path);
  return match ? Number(match[1]) : null;
}

async function probe(path: string): Promise<boolean> {
  try {
    const info = await Deno.lstat(path);
    if (info.isSocket === false) return false;
  } catch {
    return false;
  }
  try {
    const client = await ControlClient.connect(path, { timeoutMs: CONNECT_TIMEOUT_MS });
    client.close();
    await client.closed;
    return true;
  } catch (error) {
    if (error instanceof ControlConnectError && error.notRunning) await removeIfDead(path);
    return false;
  }
}

async function removeIfDead(path: string): Promise<void> {
  const pid = pidOfSocket(path);
  if (pid === null || pid === Deno.pid || await processExists(pid)) return;
  try {
    await Deno.remove(path);
  } catch {
    // Gone already, or not ours to remove.
  }
}

/** Whether a process with `pid` exists, without signalling it. */
async function processExists(pid: number): Promise<boolean> {
  if (Deno.build.os === "linux") {
    try {
      await Deno.stat(`/proc/${pid}`);
      return true;
    } catch {
      return false;
    }
  }
  try {
    const { success } = await new Deno.Command("ps", {
      args: ["-p", String(pid)],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    // Cannot tell: keep the socket.
    return true;
  }
}
