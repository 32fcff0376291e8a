/**
 * scripts/npm_packages.ts from fake release archives, and the wrapper it builds run by Node
 * against a platform package laid out as npm installs it.
 */
import { deepEqual, equal, match, ok, rejects, throws } from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import { TARGETS } from "../../npm/intercept/lib/platform.mjs";
import {
  archiveName,
  buildNpmPackages,
  parseSha256Sums,
  platformManifest,
  wrapperManifest,
} from "../../scripts/npm_packages.ts";

const VERSION = denoJson.version;

function has(command: string): boolean {
  try {
    return new Deno.Command(command, { args: ["-v"], stdout: "null", stderr: "null" })
      .outputSync().code !== 127;
  } catch {
    return false;
  }
}
const TOOLS = has("tar") && has("zip") && has("unzip");
const NODE = has("node");

/**
 * A stand-in binary: `echo ARGS...`, `exit N`, `cat`, `signal` (ends itself by SIGTERM), or
 * `wait` (says "ready", then exits 7 on SIGTERM).
 */
const FAKE_BINARY = `#!/bin/sh
case "$1" in
  echo) shift; printf '%s\\n' "$@" ;;
  exit) exit "$2" ;;
  cat) exec cat ;;
  signal) kill -TERM $$ ;;
  wait) trap 'echo "got TERM"; exit 7' TERM; echo ready; while :; do sleep 0.05; done ;;
esac
`;

async function run(command: string, args: string[], cwd: string): Promise<void> {
  const output = await new Deno.Command(command, { args, cwd }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A folder with a release's archives (each holding FAKE_BINARY) and their SHA256SUMS. */
async function fakeRelease(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "intercept-release-" });
  const lines: string[] = [];
  for (const [target, spec] of Object.entries(TARGETS)) {
    const work = await Deno.makeTempDir({ dir });
    await Deno.writeTextFile(`${work}/${spec.binary}`, FAKE_BINARY, { mode: 0o755 });
    await Deno.writeTextFile(`${work}/README.md`, "readme\n");
    const name = archiveName(VERSION, target);
    if (name.endsWith(".zip")) {
      await run("zip", ["-q", `${dir}/${name}`, spec.binary, "README.md"], work);
    } else await run("tar", ["-czf", `${dir}/${name}`, spec.binary, "README.md"], work);
    await Deno.remove(work, { recursive: true });
    lines.push(`${await sha256(`${dir}/${name}`)}  ${name}`);
  }
  await Deno.writeTextFile(`${dir}/SHA256SUMS`, lines.join("\n") + "\n");
  return dir;
}

async function withRelease(test: (release: string, out: string) => Promise<void>) {
  const release = await fakeRelease();
  try {
    await test(release, `${release}/npm`);
  } finally {
    await Deno.remove(release, { recursive: true });
  }
}

Deno.test("archiveName() is intercept-<version>-<target>, .zip for Windows", () => {
  equal(
    archiveName("1.2.3", "aarch64-apple-darwin"),
    "intercept-1.2.3-aarch64-apple-darwin.tar.gz",
  );
  equal(
    archiveName("1.2.3", "x86_64-pc-windows-msvc"),
    "intercept-1.2.3-x86_64-pc-windows-msvc.zip",
  );
});

Deno.test("parseSha256Sums() reads sha256sum output and names a bad line", () => {
  const hex = "a".repeat(64);
  deepEqual(
    parseSha256Sums(`${hex}  one.tar.gz\n${hex} *two.zip\n\n`),
    new Map([
      ["one.tar.gz", hex],
      ["two.zip", hex],
    ]),
  );
  throws(() => parseSha256Sums(`${hex}  a\nnot a line\n`), /^Error: SHA256SUMS:2: not/);
  throws(() => parseSha256Sums(`${hex}  a\n${hex}  a\n`), /SHA256SUMS:2: a listed twice/);
});

Deno.test("platformManifest() and wrapperManifest() fill the templates with deno.json's version", () => {
  const template = { name: "@intercept/OS-CPU", description: "for OS CPU", files: ["bin/"] };
  deepEqual(platformManifest(template, TARGETS["aarch64-unknown-linux-gnu"], "1.2.3"), {
    name: "@intercept/linux-arm64",
    version: "1.2.3",
    description: "for linux arm64",
    files: ["bin/"],
    os: ["linux"],
    cpu: ["arm64"],
    libc: ["glibc"],
  });
  const mac = platformManifest(template, TARGETS["x86_64-apple-darwin"], "1.2.3");
  equal("libc" in mac, false);
  deepEqual(wrapperManifest({ name: "intercept", optionalDependencies: {} }, "1.2.3"), {
    name: "intercept",
    version: "1.2.3",
    optionalDependencies: {
      "@intercept/linux-x64": "1.2.3",
      "@intercept/linux-arm64": "1.2.3",
      "@intercept/darwin-x64": "1.2.3",
      "@intercept/darwin-arm64": "1.2.3",
      "@intercept/win32-x64": "1.2.3",
    },
  });
});

Deno.test({
  name: "buildNpmPackages() makes a package per platform holding its binary, and the wrapper",
  ignore: !TOOLS,
  async fn() {
    await withRelease(async (release, out) => {
      const built = await buildNpmPackages(release, out);
      deepEqual(built, [
        "linux-x64",
        "linux-arm64",
        "darwin-x64",
        "darwin-arm64",
        "win32-x64",
        "intercept",
      ]);
      for (const spec of Object.values(TARGETS)) {
        const dir = `${out}/${spec.os}-${spec.cpu}`;
        const manifest = JSON.parse(await Deno.readTextFile(`${dir}/package.json`));
        equal(manifest.name, `@intercept/${spec.os}-${spec.cpu}`);
        equal(manifest.version, VERSION);
        deepEqual([manifest.os, manifest.cpu], [[spec.os], [spec.cpu]]);
        const binary = `${dir}/bin/${spec.binary}`;
        equal(await Deno.readTextFile(binary), FAKE_BINARY);
        equal((await Deno.stat(binary)).mode! & 0o777, 0o755);
        ok((await Deno.stat(`${dir}/LICENSE`)).isFile);
      }
      const wrapper = JSON.parse(await Deno.readTextFile(`${out}/intercept/package.json`));
      equal(wrapper.version, VERSION);
      deepEqual(wrapper.bin, { intercept: "bin/intercept.mjs" });
      equal(Object.keys(wrapper.optionalDependencies).length, 5);
      ok((await Deno.stat(`${out}/intercept/lib/platform.mjs`)).isFile);
    });
  },
});

Deno.test({
  name: "buildNpmPackages() refuses an archive that does not match SHA256SUMS and writes nothing",
  ignore: !TOOLS,
  async fn() {
    await withRelease(async (release, out) => {
      const name = archiveName(VERSION, "aarch64-apple-darwin");
      await Deno.writeTextFile(`${release}/${name}`, "tampered");
      await rejects(
        buildNpmPackages(release, out),
        new RegExp(`${name} does not match SHA256SUMS`),
      );
      equal(await Deno.stat(out).then(() => true, () => false), false);
      const left = [];
      for await (const entry of Deno.readDir(release)) {
        if (entry.name.startsWith(".npm-packages-")) left.push(entry.name);
      }
      deepEqual(left, [], "no staging folder left");
    });
  },
});

Deno.test({
  name: "buildNpmPackages() refuses a missing archive, a missing SHA256SUMS and an existing output",
  ignore: !TOOLS,
  async fn() {
    await withRelease(async (release, out) => {
      await Deno.remove(`${release}/${archiveName(VERSION, "x86_64-pc-windows-msvc")}`);
      await rejects(buildNpmPackages(release, out), /The archive .*windows-msvc\.zip is missing/);
      await Deno.remove(`${release}/SHA256SUMS`);
      await rejects(buildNpmPackages(release, out), /SHA256SUMS is missing/);
      await Deno.mkdir(out);
      await rejects(buildNpmPackages(release, out), /exists already: remove it first/);
    });
  },
});

/** The npm name of this machine's platform, as in TARGETS. */
function hostPlatform(): string {
  const cpu = Deno.build.arch === "x86_64" ? "x64" : "arm64";
  return `${Deno.build.os}-${cpu}`;
}

/** `node_modules` as npm lays it out: the wrapper and, if `withPlatform`, this host's package. */
async function installed(out: string, withPlatform: boolean): Promise<string> {
  const modules = `${out}/app/node_modules`;
  await Deno.mkdir(`${modules}/@intercept`, { recursive: true });
  await Deno.rename(`${out}/intercept`, `${modules}/intercept`);
  if (withPlatform) {
    await Deno.rename(`${out}/${hostPlatform()}`, `${modules}/@intercept/${hostPlatform()}`);
  }
  return `${modules}/intercept/bin/intercept.mjs`;
}

async function node(bin: string, args: string[], stdin = "") {
  const child = new Deno.Command("node", {
    args: [bin, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    signal: output.signal,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test({
  name: "the npm wrapper runs the platform binary: arguments, stdin, exit code and signal pass",
  ignore: !TOOLS || !NODE || Deno.build.os === "windows",
  async fn() {
    await withRelease(async (release, out) => {
      await buildNpmPackages(release, out);
      const bin = await installed(out, true);
      const echoed = await node(bin, ["echo", "-c", "a b.yaml", "--", "x"]);
      deepEqual([echoed.code, echoed.stdout], [0, "-c\na b.yaml\n--\nx\n"]);
      const piped = await node(bin, ["cat"], '{"jsonrpc":"2.0"}\n');
      equal(piped.stdout, '{"jsonrpc":"2.0"}\n');
      equal((await node(bin, ["exit", "3"])).code, 3);
      const signalled = await node(bin, ["signal"]);
      equal(signalled.signal, "SIGTERM", signalled.stderr);
    });
  },
});

Deno.test({
  name: "the npm wrapper passes a SIGTERM it gets on to the binary and exits as the binary did",
  ignore: !TOOLS || !NODE || Deno.build.os === "windows",
  async fn() {
    await withRelease(async (release, out) => {
      await buildNpmPackages(release, out);
      const bin = await installed(out, true);
      const child = new Deno.Command("node", {
        args: [bin, "wait"],
        stdin: "null",
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let stdout = "";
      while (!stdout.includes("ready\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        stdout += value;
      }
      child.kill("SIGTERM");
      // Should the signal be lost, the stand-in would wait for ever: fail instead of hanging.
      const deadline = setTimeout(() => {
        new Deno.Command("pkill", { args: ["-f", `${out}/`] }).output().catch(() => {});
      }, 30_000);
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          stdout += value;
        }
      } finally {
        clearTimeout(deadline);
      }
      const status = await child.status;
      deepEqual([status.code, stdout], [7, "ready\ngot TERM\n"]);
    });
  },
});

Deno.test({
  name: "the npm wrapper names the platform package that is not installed, exit 1",
  ignore: !TOOLS || !NODE || Deno.build.os === "windows",
  async fn() {
    await withRelease(async (release, out) => {
      await buildNpmPackages(release, out);
      const bin = await installed(out, false);
      const { code, stdout, stderr } = await node(bin, ["--version"]);
      equal(code, 1);
      equal(stdout, "");
      match(
        stderr,
        new RegExp(`^intercept: The package @intercept/${hostPlatform()}, .* is not installed`),
      );
    });
  },
});
