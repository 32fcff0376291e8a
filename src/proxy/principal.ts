/**
 * Who the agent is over stdio: the OS user running the proxy, `uid:NAME`. Read from the kernel
 * (the uid) and the user database, never from the environment, which whoever starts the proxy
 * can set (`USER=alice` must not spend, or spare, alice's quota).
 */

/** `uid:NAME`, or `uid:N` when the user database does not name the uid. */
export function osPrincipal(
  uid = Deno.uid(),
  passwd: () => string = () => Deno.readTextFileSync("/etc/passwd"),
): string {
  if (uid === null) return "uid:unknown";
  try {
    for (const line of passwd().split("\n")) {
      const [name, , id] = line.split(":");
      if (id === String(uid) && /^[A-Za-z0-9._-]{1,64}$/.test(name)) return `uid:${name}`;
    }
  } catch {
    // No readable user database: the number names the user.
  }
  return `uid:${uid}`;
}
