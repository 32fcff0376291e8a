/** The CI and release workflows, read as YAML: triggers, the release matrix, the tests, pinning. */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { parse } from "yaml";
import { TARGETS } from "../../npm/intercept/lib/platform.mjs";

const ROOT = new URL("../../", import.meta.url).pathname;
const WORKFLOWS = ["ci.yml", "release.yml"];

// deno-lint-ignore no-explicit-any
type Yaml = any;

async function workflow(name: string): Promise<{ text: string; yaml: Yaml }> {
  const text = await Deno.readTextFile(`${ROOT}.github/workflows/${name}`);
  return { text, yaml: parse(text) };
}

function steps(job: Yaml): Yaml[] {
  return job.steps as Yaml[];
}

Deno.test("ci.yml runs .ci/run on every push and pull request, with read-only permissions", async () => {
  const { yaml } = await workflow("ci.yml");
  ok("push" in yaml.on && "pull_request" in yaml.on);
  equal(yaml.on.push, null, "every branch");
  deepEqual(yaml.permissions, { contents: "read" });
  const runs = Object.values(yaml.jobs).flatMap((job) => steps(job).map((s) => s.run ?? ""));
  ok(runs.includes("bash .ci/run"), runs.join("\n"));
});

Deno.test("release.yml runs on a version tag and builds every release target on its own runner", async () => {
  const { yaml } = await workflow("release.yml");
  deepEqual(yaml.on, { push: { tags: ["v*"] } });
  const matrix = yaml.jobs.build.strategy.matrix.include as Yaml[];
  deepEqual(matrix.map((m) => m.target), Object.keys(TARGETS));
  const runners = Object.fromEntries(matrix.map((m) => [m.target, m.runner]));
  deepEqual(runners, {
    "x86_64-unknown-linux-gnu": "ubuntu-24.04",
    "aarch64-unknown-linux-gnu": "ubuntu-24.04-arm",
    "x86_64-apple-darwin": "macos-15-intel",
    "aarch64-apple-darwin": "macos-15",
    "x86_64-pc-windows-msvc": "windows-2025",
  });
  const compile = steps(yaml.jobs.build).find((s) => s.name === "Compile");
  equal(compile.run, 'deno task compile --target "$TARGET"');
  equal(yaml.jobs.build.env.TARGET, "${{ matrix.target }}");
});

Deno.test("release.yml runs the e2e suite against each binary a runner can run, before anything ships", async () => {
  const { yaml } = await workflow("release.yml");
  const matrix = yaml.jobs.build.strategy.matrix.include as Yaml[];
  deepEqual(
    matrix.filter((m) => m.e2e).map((m) => m.target),
    Object.keys(TARGETS).filter((t) => !t.includes("windows")),
  );
  const e2e = steps(yaml.jobs.build).find((s) => s.run === "deno task test:e2e");
  ok(e2e, "an e2e step");
  equal(e2e.if, "matrix.e2e");
  deepEqual(e2e.env, { INTERCEPT_BIN: "dist/intercept" });
  const smoke = steps(yaml.jobs.build).find((s) => s.name === "Smoke test");
  match(smoke.run, /--version/);
  for (const job of ["release", "image"]) ok(yaml.jobs[job].needs.includes("build"), job);
  deepEqual(yaml.jobs.npm.needs, ["version", "release"]);
});

Deno.test("release.yml archives intercept-<version>-<target>, SHA256SUMS, the image and npm", async () => {
  const { text, yaml } = await workflow("release.yml");
  const archive = steps(yaml.jobs.build).find((s) => s.name === "Archive");
  match(archive.run, /name="intercept-\$VERSION-\$TARGET"/);
  match(archive.run, /\$name\.zip/);
  match(archive.run, /\$name\.tar\.gz/);
  match(text, /sha256sum intercept-\* > SHA256SUMS/);
  const build = steps(yaml.jobs.image).find((s) => String(s.uses).startsWith("docker/build-push"));
  equal(build.with.platforms, "linux/amd64,linux/arm64");
  equal(build.with.push, true);
  match(text, /scripts\/npm_packages\.ts --artifacts release --out dist\/npm/);
  match(text, /npm publish "\$dir" --access public --provenance/);
});

Deno.test("every uses: in the workflows is pinned to a commit, with its version in a comment", async () => {
  for (const name of WORKFLOWS) {
    const { text } = await workflow(name);
    const uses = text.split("\n").filter((line) => /^\s*(- )?uses:/.test(line));
    ok(uses.length > 0, name);
    for (const line of uses) {
      match(line, /uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/, `${name}: ${line}`);
    }
  }
});

Deno.test("the workflows use only GITHUB_TOKEN and NPM_TOKEN, set per step, never inside a script", async () => {
  for (const name of WORKFLOWS) {
    const { text, yaml } = await workflow(name);
    const secrets = new Set([...text.matchAll(/secrets\.(\w+)/g)].map((m) => m[1]));
    for (const secret of secrets) ok(["GITHUB_TOKEN", "NPM_TOKEN"].includes(secret), secret);
    deepEqual(yaml.permissions, { contents: "read" }, `${name}: read-only by default`);
    for (const [jobName, job] of Object.entries(yaml.jobs as Record<string, Yaml>)) {
      for (const step of steps(job)) {
        ok(!/secrets\./.test(step.run ?? ""), `${name} ${jobName}: a secret inside run`);
      }
    }
  }
});
