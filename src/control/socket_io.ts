/** Small pieces of Unix-socket I/O shared by the control server and its clients. */

/** Writes every byte; `conn.write` may take only part of a buffer. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

/**
 * Why a connect failed: "not-running" when nobody listens (the socket is absent, or left by
 * a proxy that died), "denied" for permissions, else "other".
 */
export function connectionFailure(error: unknown): "not-running" | "denied" | "other" {
  if (error instanceof Deno.errors.ConnectionRefused || error instanceof Deno.errors.NotFound) {
    return "not-running";
  }
  if (error instanceof Deno.errors.PermissionDenied) return "denied";
  return "other";
}
