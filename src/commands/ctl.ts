/** `intercept ctl`: the live controls of running proxies, scriptable, JSON out. */
import { parseArgs, stringFlag, UsageError } from "../cli/args.ts";
import { ControlClient, ControlRequestError } from "../control/control_client.ts";
import { discoverProxies, pidOfSocket } from "../control/discover.ts";
import type { ControlMethod } from "../control/protocol.ts";
import { controlDir } from "../control/socket_path.ts";

export const CTL_HELP = `Usage: intercept ctl [--control PATH | --all] COMMAND

Live controls of running proxies through their control sockets. Prints JSON on stdout.

Commands:
  status                  policy, sessions, live denies and tools of the proxy
  reload                  load the policy file again; an invalid one is refused, the old stays
  deny TOOL [--reason R]  stop TOOL until "allow"; survives reloads
  allow TOOL              lift a live deny
  reset [TOOL]            forget the quotas and counters of TOOL, or of every tool

Flags:
      --control PATH      the proxy's control socket (INTERCEPT_CONTROL); without it, the
                          only proxy running in ${controlDir()}
      --all               every running proxy; prints [{"path", "result" or "error"}]
      --reason R          for deny: the reason the agent is given
      --json              JSON output (the default)
  -h, --help              this help

Exit code 0 on success, 1 when a proxy refused or failed the request, 2 for usage errors
and when no proxy can be reached.`;

const EXIT_REFUSED = 1;
const EXIT_USAGE = 2;

interface Command {
  method: ControlMethod;
  params?: Record<string, unknown>;
}

interface Failure {
  path: string;
  /** The JSON-RPC error code; null when no answer came (not reachable, timed out). */
  error: { code: number | null; message: string; data?: unknown };
}

type Outcome = { path: string; result: unknown } | Failure;

export async function runCtl(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, [
    { name: "control", value: true },
    { name: "all" },
    { name: "reason", value: true },
    { name: "json" },
    { name: "help", short: "h" },
  ], {
    command: "ctl",
    // Only the socket comes from the environment (containers set it for the proxy too).
    env: (name) => name === "INTERCEPT_CONTROL" ? Deno.env.get(name) : undefined,
  });
  if (args.flags.has("help")) {
    console.log(CTL_HELP);
    return 0;
  }
  const command = parseCommand([...args.positionals, ...(args.rest ?? [])], args);
  const all = args.flags.has("all");
  // INTERCEPT_CONTROL is only a default: --all overrides it, a --control flag does not.
  if (all && argv.some((arg) => arg === "--control" || arg.startsWith("--control="))) {
    throw new UsageError("Give either --control PATH or --all, not both", "ctl");
  }

  if (all) {
    const paths = await discoverProxies();
    if (paths.length === 0) return noProxy();
    const outcomes = await Promise.all(paths.map((path) => runOn(path, command)));
    console.log(JSON.stringify(outcomes, null, 2));
    for (const outcome of outcomes) if ("error" in outcome) reportFailure(outcome);
    return outcomes.some((outcome) => "error" in outcome) ? EXIT_REFUSED : 0;
  }

  let path = stringFlag(args, "control");
  if (path === undefined) {
    const paths = await discoverProxies();
    if (paths.length === 0) return noProxy();
    if (paths.length > 1) return severalProxies(paths);
    path = paths[0];
  }
  let client: ControlClient;
  try {
    client = await ControlClient.connect(path);
  } catch (error) {
    // Nothing answers at the path: nothing was refused, the target is wrong.
    console.error(`intercept ctl: ${(error as Error).message}`);
    return EXIT_USAGE;
  }
  const outcome = await request(client, command);
  if ("result" in outcome) {
    console.log(JSON.stringify(outcome.result, null, 2));
    return 0;
  }
  console.log(JSON.stringify({ error: outcome.error }, null, 2));
  reportFailure(outcome);
  return EXIT_REFUSED;
}

function parseCommand(words: string[], args: ReturnType<typeof parseArgs>): Command {
  const [name, ...operands] = words;
  const reason = stringFlag(args, "reason");
  if (name === undefined) {
    throw new UsageError("Name a command: status, reload, deny, allow or reset", "ctl");
  }
  if (reason !== undefined && name !== "deny") {
    throw new UsageError(`--reason applies to deny only, not to ${name}`, "ctl");
  }
  const most = (count: number, usage: string) => {
    if (operands.length > count) {
      throw new UsageError(`Too many arguments for ${name}; usage: ${usage}`, "ctl");
    }
  };
  const needTool = (usage: string) => {
    if (operands.length === 0 || operands[0] === "") {
      throw new UsageError(`${name} needs a tool name; usage: ${usage}`, "ctl");
    }
    most(1, usage);
    return operands[0];
  };
  switch (name) {
    case "status":
    case "reload":
      most(0, `ctl ${name}`);
      return { method: name };
    case "deny": {
      const tool = needTool("ctl deny TOOL [--reason R]");
      return { method: "deny", params: reason === undefined ? { tool } : { tool, reason } };
    }
    case "allow":
      return { method: "allow", params: { tool: needTool("ctl allow TOOL") } };
    case "reset":
      most(1, "ctl reset [TOOL]");
      return { method: "reset", params: operands.length ? { tool: operands[0] } : {} };
    default:
      throw new UsageError(
        `Unknown command "${name}"; the commands are status, reload, deny, allow and reset`,
        "ctl",
      );
  }
}

async function runOn(path: string, command: Command): Promise<Outcome> {
  let client: ControlClient;
  try {
    client = await ControlClient.connect(path);
  } catch (error) {
    return { path, error: { code: null, message: (error as Error).message } };
  }
  return await request(client, command);
}

async function request(client: ControlClient, command: Command): Promise<Outcome> {
  const { path } = client;
  try {
    return { path, result: await client.request(command.method, command.params) };
  } catch (error) {
    if (error instanceof ControlRequestError) {
      const { code, message, data } = error;
      return { path, error: data === undefined ? { code, message } : { code, message, data } };
    }
    return { path, error: { code: null, message: (error as Error).message } };
  } finally {
    client.close();
    await client.closed;
  }
}

function reportFailure(outcome: Failure): void {
  const { message, data } = outcome.error;
  console.error(`intercept ctl: ${outcome.path}: ${message}`);
  const errors = (data as { errors?: unknown } | undefined)?.errors;
  if (Array.isArray(errors)) { for (const line of errors) console.error(String(line)); }
}

function noProxy(): number {
  console.error(
    `intercept ctl: no running intercept proxy found in ${controlDir()} ` +
      "(start one, or give --control PATH)",
  );
  return EXIT_USAGE;
}

function severalProxies(paths: string[]): number {
  const lines = paths.map((path) => `  pid ${pidOfSocket(path) ?? "?"}  ${path}`);
  console.error(
    `intercept ctl: ${paths.length} intercept proxies are running; ` +
      `pick one with --control PATH, or use --all:\n${lines.join("\n")}`,
  );
  return EXIT_USAGE;
}
