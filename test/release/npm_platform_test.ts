/** The npm wrapper's choice of platform package (npm/intercept/lib/platform.mjs). */
import { deepEqual, equal, match } from "node:assert/strict";
import {
  platformPackageName,
  resolveBinary,
  signalExitCode,
  TARGETS,
} from "../../npm/intercept/lib/platform.mjs";

/** A `require.resolve` that knows only `installed` packages, under node_modules. */
function resolverOf(...installed: string[]) {
  const asked: string[] = [];
  const resolve = (specifier: string) => {
    asked.push(specifier);
    const name = specifier.replace(/\/package\.json$/, "");
    if (!installed.includes(name)) throw new Error(`Cannot find module '${specifier}'`);
    return `/app/node_modules/${name}/package.json`;
  };
  return { resolve, asked };
}

Deno.test("TARGETS maps each release target to its npm os and cpu", () => {
  deepEqual(
    Object.entries(TARGETS).map(([target, t]) => `${target} ${t.os}-${t.cpu} ${t.binary}`),
    [
      "x86_64-unknown-linux-gnu linux-x64 intercept",
      "aarch64-unknown-linux-gnu linux-arm64 intercept",
      "x86_64-apple-darwin darwin-x64 intercept",
      "aarch64-apple-darwin darwin-arm64 intercept",
      "x86_64-pc-windows-msvc win32-x64 intercept.exe",
    ],
  );
  equal(platformPackageName("linux", "arm64"), "@intercept/linux-arm64");
});

Deno.test("resolveBinary() finds the binary in the package of each supported platform", () => {
  const cases = [
    ["linux", "x64", "/app/node_modules/@intercept/linux-x64/bin/intercept"],
    ["linux", "arm64", "/app/node_modules/@intercept/linux-arm64/bin/intercept"],
    ["darwin", "x64", "/app/node_modules/@intercept/darwin-x64/bin/intercept"],
    ["darwin", "arm64", "/app/node_modules/@intercept/darwin-arm64/bin/intercept"],
  ];
  for (const [platform, arch, path] of cases) {
    const { resolve, asked } = resolverOf(`@intercept/${platform}-${arch}`);
    deepEqual(resolveBinary({ platform, arch, musl: false }, resolve), { path });
    deepEqual(asked, [`@intercept/${platform}-${arch}/package.json`]);
  }
});

Deno.test("resolveBinary() on Windows takes intercept.exe with backslashes", () => {
  const resolve = () => "C:\\app\\node_modules\\@intercept\\win32-x64\\package.json";
  deepEqual(resolveBinary({ platform: "win32", arch: "x64" }, resolve), {
    path: "C:\\app\\node_modules\\@intercept\\win32-x64\\bin\\intercept.exe",
  });
});

Deno.test("resolveBinary() names a platform with no binary and lists those there are", () => {
  for (const [platform, arch] of [["linux", "ia32"], ["win32", "arm64"], ["freebsd", "x64"]]) {
    const { resolve, asked } = resolverOf();
    const result = resolveBinary({ platform, arch }, resolve);
    equal(result.path, undefined);
    match(result.error ?? "", new RegExp(`no prebuilt binary for ${platform}-${arch} `));
    match(result.error ?? "", /linux-x64, linux-arm64, darwin-x64, darwin-arm64, win32-x64/);
    deepEqual(asked, [], "nothing is looked up");
  }
});

Deno.test("resolveBinary() refuses musl Linux, whose libc the glibc binaries cannot use", () => {
  const { resolve } = resolverOf("@intercept/linux-x64");
  const result = resolveBinary({ platform: "linux", arch: "x64", musl: true }, resolve);
  match(result.error ?? "", /need glibc, and this system uses musl/);
});

Deno.test("resolveBinary() explains a platform package that was not installed", () => {
  const { resolve } = resolverOf("@intercept/linux-x64");
  const result = resolveBinary({ platform: "darwin", arch: "arm64" }, resolve);
  match(result.error ?? "", /^The package @intercept\/darwin-arm64, .* is not installed/);
  match(result.error ?? "", /without --omit=optional/);
});

Deno.test("signalExitCode() is 128 plus the signal's number, 1 for an unknown one", () => {
  equal(signalExitCode("SIGTERM", { SIGTERM: 15 }), 143);
  equal(signalExitCode("SIGNOPE", { SIGTERM: 15 }), 1);
});
