/**
 * Where control sockets live. A proxy puts its socket in `${TMPDIR:-/tmp}/intercept-<uid>/`
 * (folder 0700): MCP clients start proxies with a stripped environment (HOME, LOGNAME, PATH,
 * SHELL, TERM, USER), so the place must not depend on a login shell's variables. `ctl` and the
 * dashboard look there, in `/tmp/intercept-<uid>/` (where a proxy without TMPDIR puts it) and
 * in `$XDG_RUNTIME_DIR/intercept/`. `INTERCEPT_CONTROL_DIR` names one folder for both instead.
 */

export interface SocketPathEnv {
  get(name: string): string | undefined;
  uid(): number | null;
}

const realEnv: SocketPathEnv = {
  get: (name) => Deno.env.get(name),
  uid: () => Deno.uid(),
};

/** The folder a proxy puts its control socket in. */
export function controlDir(env: SocketPathEnv = realEnv): string {
  const chosen = env.get("INTERCEPT_CONTROL_DIR");
  if (chosen) return trim(chosen);
  return `${trim(env.get("TMPDIR") || "/tmp")}/intercept-${env.uid() ?? "user"}`;
}

/** The folders `ctl` and the dashboard look in for proxies, without duplicates. */
export function discoveryDirs(env: SocketPathEnv = realEnv): string[] {
  if (env.get("INTERCEPT_CONTROL_DIR")) return [controlDir(env)];
  const dirs = [controlDir(env), `/tmp/intercept-${env.uid() ?? "user"}`];
  const runtime = env.get("XDG_RUNTIME_DIR");
  if (runtime) dirs.push(`${trim(runtime)}/intercept`);
  return [...new Set(dirs)];
}

/** The default socket of the proxy with `pid`. */
export function defaultControlPath(pid: number, env: SocketPathEnv = realEnv): string {
  return `${controlDir(env)}/${pid}.sock`;
}

/**
 * The machine-wide live denies (`ctl deny --all`, the dashboard's `D`): one file every proxy
 * of this user reads, in `/tmp/intercept-<uid>/`, the one folder every proxy and operator looks
 * in whatever their TMPDIR (or in `INTERCEPT_CONTROL_DIR`).
 */
export function machineDeniesPath(env: SocketPathEnv = realEnv): string {
  const chosen = env.get("INTERCEPT_CONTROL_DIR");
  const dir = chosen ? trim(chosen) : `/tmp/intercept-${env.uid() ?? "user"}`;
  return `${dir}/denies.json`;
}

function trim(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}
