/**
 * Which hosts are loopback. Its own module so that the proxy's start-up (flag checks) does not
 * load the HTTP listener's graph (the tokens file's YAML parser among it).
 */

/** The names and literals a loopback listener answers to in `Host`. */
export const LOOPBACK_NAMES: ReadonlySet<string> = new Set([
  "127.0.0.1",
  "localhost",
  "::1",
  "[::1]",
]);

/** A loopback address or name; `127.x.y.z` only as a literal (a name like `127.evil.example` resolves anywhere). */
export function isLoopback(hostname: string): boolean {
  return LOOPBACK_NAMES.has(hostname) || /^127(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(hostname);
}
