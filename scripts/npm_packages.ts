/**
 * Builds the npm packages from the release archives:
 *
 *   deno run -A scripts/npm_packages.ts --artifacts DIR [--out DIR]
 *
 * DIR holds `intercept-<version>-<target>.tar.gz` (`.zip` for Windows) for every release target
 * and their `SHA256SUMS`. Each archive is checked against SHA256SUMS, its binary taken out into a
 * platform package (`@intercept/<os>-<cpu>`, from npm/platform/), and the wrapper package
 * (`intercept`, from npm/intercept/) depends on all of them as optional dependencies. Every
 * package gets the version in deno.json. The output folder (default dist/npm) must not exist; it
 * appears whole or not at all. Needs `tar` and `unzip`.
 *
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };
import { platformPackageName, type Target, TARGETS } from "../npm/intercept/lib/platform.mjs";

const ROOT = new URL("../", import.meta.url).pathname;
const WRAPPER_TEMPLATE = `${ROOT}npm/intercept`;
const PLATFORM_TEMPLATE = `${ROOT}npm/platform`;
const SUMS_FILE = "SHA256SUMS";
const SHA256_LINE = /^([0-9a-f]{64}) [ *](\S.*)$/;

type Manifest = Record<string, unknown>;

/** The release archive of `target`: `intercept-<version>-<target>.tar.gz`, or `.zip` on Windows. */
export function archiveName(version: string, target: string): string {
  const ext = TARGETS[target]?.os === "win32" ? "zip" : "tar.gz";
  return `intercept-${version}-${target}.${ext}`;
}

/** `sha256sum` output as file name → hex digest; throws naming the first bad line. */
export function parseSha256Sums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    const match = SHA256_LINE.exec(line.trimEnd());
    if (!match) throw new Error(`${SUMS_FILE}:${index + 1}: not "<sha256>  <file>": ${line}`);
    if (sums.has(match[2])) throw new Error(`${SUMS_FILE}:${index + 1}: ${match[2]} listed twice`);
    sums.set(match[2], match[1]);
  });
  return sums;
}

/** The platform package's manifest: the template with its name, platform and version filled. */
export function platformManifest(template: Manifest, target: Target, version: string): Manifest {
  const fill = (text: string) => text.replaceAll("OS", target.os).replaceAll("CPU", target.cpu);
  return {
    ...template,
    name: platformPackageName(target.os, target.cpu),
    version,
    description: fill(String(template.description)),
    os: [target.os],
    cpu: [target.cpu],
    ...(target.os === "linux" ? { libc: ["glibc"] } : {}),
  };
}

/** The wrapper's manifest: its version, and every platform package at that exact version. */
export function wrapperManifest(template: Manifest, version: string): Manifest {
  const optionalDependencies = Object.fromEntries(
    Object.values(TARGETS).map((t) => [platformPackageName(t.os, t.cpu), version]),
  );
  return { ...template, version, optionalDependencies };
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function run(command: string, args: string[]): Promise<void> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(command, { args, stdin: "null" }).output();
  } catch (error) {
    throw new Error(`Cannot run ${command} (${(error as Error).message}): it is needed here`);
  }
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).trim();
    throw new Error(`${command} ${args.join(" ")} failed: ${stderr}`);
  }
}

/** Takes the binary out of `archive` into `dir`; throws when the archive does not hold it. */
async function extractBinary(archive: string, binary: string, dir: string): Promise<string> {
  if (archive.endsWith(".zip")) await run("unzip", ["-q", "-o", archive, binary, "-d", dir]);
  else await run("tar", ["-xzf", archive, "-C", dir, binary]);
  const path = `${dir}/${binary}`;
  const info = await Deno.stat(path).catch(() => undefined);
  if (!info?.isFile) throw new Error(`${archive} does not hold the file ${binary}`);
  return path;
}

async function readManifest(dir: string): Promise<Manifest> {
  return JSON.parse(await Deno.readTextFile(`${dir}/package.json`));
}

async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  await Deno.writeTextFile(`${dir}/package.json`, JSON.stringify(manifest, null, 2) + "\n");
}

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyTree(`${from}/${entry.name}`, `${to}/${entry.name}`);
    else await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

/** Builds every package into `out`, from the archives in `artifacts`. */
export async function buildNpmPackages(artifacts: string, out: string): Promise<string[]> {
  if (await Deno.stat(out).then(() => true, () => false)) {
    throw new Error(`The output folder ${out} exists already: remove it first`);
  }
  const version = denoJson.version;
  const sumsText = await Deno.readTextFile(`${artifacts}/${SUMS_FILE}`).catch(() => {
    throw new Error(`${artifacts}/${SUMS_FILE} is missing: the archives cannot be checked`);
  });
  const sums = parseSha256Sums(sumsText);
  const parent = out.replace(/\/+$/, "").split("/").slice(0, -1).join("/") || ".";
  await Deno.mkdir(parent, { recursive: true });
  const staging = await Deno.makeTempDir({ dir: parent, prefix: ".npm-packages-" });
  try {
    const built: string[] = [];
    const platformTemplate = await readManifest(PLATFORM_TEMPLATE);
    const platformReadme = await Deno.readTextFile(`${PLATFORM_TEMPLATE}/README.md`);
    for (const [target, spec] of Object.entries(TARGETS)) {
      const name = archiveName(version, target);
      const archive = `${artifacts}/${name}`;
      const expected = sums.get(name);
      if (!expected) throw new Error(`${SUMS_FILE} has no line for ${name}`);
      const actual = await sha256(archive).catch(() => {
        throw new Error(`The archive ${archive} is missing`);
      });
      if (actual !== expected) {
        throw new Error(
          `${name} does not match ${SUMS_FILE}: sha256 ${actual}, listed ${expected}`,
        );
      }
      const dir = `${staging}/${spec.os}-${spec.cpu}`;
      await Deno.mkdir(`${dir}/bin`, { recursive: true });
      const binary = await extractBinary(archive, spec.binary, `${dir}/bin`);
      await Deno.chmod(binary, 0o755);
      await writeManifest(dir, platformManifest(platformTemplate, spec, version));
      await Deno.writeTextFile(
        `${dir}/README.md`,
        platformReadme.replaceAll("OS", spec.os).replaceAll("CPU", spec.cpu),
      );
      await Deno.copyFile(`${ROOT}LICENSE`, `${dir}/LICENSE`);
      built.push(`${spec.os}-${spec.cpu}`);
    }
    const wrapper = `${staging}/intercept`;
    await copyTree(WRAPPER_TEMPLATE, wrapper);
    await Deno.chmod(`${wrapper}/bin/intercept.mjs`, 0o755);
    await writeManifest(wrapper, wrapperManifest(await readManifest(WRAPPER_TEMPLATE), version));
    await Deno.copyFile(`${ROOT}LICENSE`, `${wrapper}/LICENSE`);
    built.push("intercept");
    await Deno.rename(staging, out);
    return built;
  } catch (error) {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    throw error;
  }
}

function usage(): never {
  console.error("Usage: deno run -A scripts/npm_packages.ts --artifacts DIR [--out DIR]");
  Deno.exit(2);
}

if (import.meta.main) {
  let artifacts: string | undefined;
  let out = `${ROOT}dist/npm`;
  for (let i = 0; i < Deno.args.length; i++) {
    const [flag, value] = [Deno.args[i], Deno.args[i + 1]];
    if (flag === "--artifacts" && value) artifacts = value;
    else if (flag === "--out" && value) out = value;
    else usage();
    i++;
  }
  if (!artifacts) usage();
  try {
    const built = await buildNpmPackages(artifacts, out);
    console.log(`Built ${built.length} npm packages in ${out}: ${built.join(", ")}`);
  } catch (error) {
    console.error(`Cannot build the npm packages: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
