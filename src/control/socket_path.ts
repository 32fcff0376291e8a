/**
 * Where control sockets live: `$XDG_RUNTIME_DIR/intercept/<pid>.sock`, else
 * `${TMPDIR:-/tmp}/intercept-<uid>/<pid>.sock`. The folder is the user's own, mode 0700.
 */

export interface SocketPathEnv {
  get(name: string): string | undefined;
  uid(): number | null;
}

const realEnv: SocketPathEnv = {
  get: (name) => Deno.env.get(name),
  uid: () => Deno.uid(),
};

/** The folder that holds this user's control sockets. */
export function controlDir(env: SocketPathEnv = realEnv): string {
  const runtime = env.get("XDG_RUNTIME_DIR");
  if (runtime) return `${runtime.replace(/\/+$/, "")}/intercept`;
  const tmp = (env.get("TMPDIR") || "/tmp").replace(/\/+$/, "");
  return `${tmp}/intercept-${env.uid() ?? "user"}`;
}

/** The default socket of the proxy with `pid`. */
export function defaultControlPath(pid: number, env: SocketPathEnv = realEnv): string {
  return `${controlDir(env)}/${pid}.sock`;
}
