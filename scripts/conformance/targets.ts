/** The servers the conformance suite runs against, direct and behind `intercept --listen`. */
export type Target = "everything" | "modern";

export const TARGETS: Readonly<Record<Target, { direct: string; proxy: string }>> = {
  everything: {
    direct: "server-everything 2026.8.31 in its Streamable HTTP mode (legacy era only)",
    proxy: "intercept --listen -- server-everything over stdio (a server process per session)",
  },
  modern: {
    direct: "the modern test server over Streamable HTTP (--mode dual: both eras)",
    proxy: "intercept --listen --upstream URL of the same server (another process of it)",
  },
};

export function isTarget(name: string): name is Target {
  return Object.hasOwn(TARGETS, name);
}
