// @ts-self-types="./platform.d.ts"
/**
 * Which platform package holds intercept's binary for this machine, and where the binary is in
 * it. Pure functions of their inputs, shared by the npm wrapper (bin/intercept.mjs), the script
 * that builds the packages (scripts/npm_packages.ts) and their tests.
 */

/** The scope of the per-platform packages: `@intercept/<os>-<cpu>`. */
export const PACKAGE_SCOPE = "@intercept";

/** Each release target (a `deno compile --target`) and the npm platform it serves. */
export const TARGETS = Object.freeze({
  "x86_64-unknown-linux-gnu": Object.freeze({ os: "linux", cpu: "x64", binary: "intercept" }),
  "aarch64-unknown-linux-gnu": Object.freeze({ os: "linux", cpu: "arm64", binary: "intercept" }),
  "x86_64-apple-darwin": Object.freeze({ os: "darwin", cpu: "x64", binary: "intercept" }),
  "aarch64-apple-darwin": Object.freeze({ os: "darwin", cpu: "arm64", binary: "intercept" }),
  "x86_64-pc-windows-msvc": Object.freeze({ os: "win32", cpu: "x64", binary: "intercept.exe" }),
});

/** `@intercept/<os>-<cpu>`. */
export function platformPackageName(os, cpu) {
  return `${PACKAGE_SCOPE}/${os}-${cpu}`;
}

function supportedList() {
  return Object.values(TARGETS).map(({ os, cpu }) => `${os}-${cpu}`).join(", ");
}

/**
 * The binary for `host` (`{platform, arch, musl}` as Node reports them), found through
 * `resolve(specifier)` (require.resolve: a path, or a throw when the package is absent).
 * Returns `{ path }` or `{ error }`, an error that says what to do.
 */
export function resolveBinary(host, resolve) {
  const target = Object.values(TARGETS).find((t) => t.os === host.platform && t.cpu === host.arch);
  if (!target) {
    return {
      error: `intercept has no prebuilt binary for ${host.platform}-${host.arch} ` +
        `(there are: ${supportedList()}); run it from source with Deno instead`,
    };
  }
  if (host.platform === "linux" && host.musl) {
    return {
      error: "intercept's Linux binaries need glibc, and this system uses musl (Alpine?): " +
        "use the container image, or run it from source with Deno",
    };
  }
  const name = platformPackageName(target.os, target.cpu);
  let manifest;
  try {
    manifest = resolve(`${name}/package.json`);
  } catch {
    return {
      error: `The package ${name}, which holds intercept's binary for this platform, is not ` +
        "installed. It is an optional dependency: reinstall without --omit=optional or " +
        "--no-optional (and without --ignore-optional for yarn).",
    };
  }
  const dir = manifest.slice(0, Math.max(manifest.lastIndexOf("/"), manifest.lastIndexOf("\\")));
  const separator = host.platform === "win32" ? "\\" : "/";
  return { path: `${dir}${separator}bin${separator}${target.binary}` };
}

/** The exit code a parent shell would report for a child ended by `signal` (128 + number). */
export function signalExitCode(signal, signalNumbers) {
  const number = signalNumbers[signal];
  return typeof number === "number" ? 128 + number : 1;
}
