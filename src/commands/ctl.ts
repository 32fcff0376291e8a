/** `intercept ctl`: the live controls of running proxies, scriptable, JSON out. */
import { integerFlag, parseArgs, stringFlag, UsageError } from "../cli/args.ts";
import { discoverProxies } from "../control/discover.ts";
import type { ControlMethod } from "../control/protocol.ts";
import { discoveryDirs } from "../control/socket_path.ts";
import { answerApproval, isApprovalAnswer } from "./ctl_approvals.ts";
import { MachineDenyFileError } from "../control/machine_denies.ts";
import { fleetProxy, writeMachineDeny } from "./ctl_scopes.ts";
import {
  askEverywhere,
  EXIT,
  exitCodeOf,
  operatorName,
  type Target,
  unknownToolWarning,
} from "./ctl_targets.ts";

export const CTL_HELP =
  `Usage: intercept ctl [--control PATH | --all | --fleet] [--timeout MS] COMMAND

Live controls of running proxies through their control sockets. Prints JSON on stdout.

Commands:
  status                  name, policy, sessions, live denies and tools of each proxy
  reload                  load the policy file again; an invalid one is refused, the old stays
  deny TOOL [--reason R]  stop TOOL until "allow"; TOOL may be a glob ('get-*') or '*' for all;
                          survives reloads
  allow TOOL              lift a live deny (of exactly that name or pattern)
  reset [TOOL]            forget the quotas and counters of TOOL, or of every tool
  approvals               the calls held for a human (action: require_approval)
  approve ID              let the held call ID go on (quota is taken then)
  reject ID [--reason R]  deny the held call ID; R is the reason the agent is given

Flags:
      --control PATH      the proxy's control socket (INTERCEPT_CONTROL); without it, the
                          only proxy running (status: every proxy running)
      --all               every running proxy; prints [{"path", "name", "result" or "error"}];
                          allow counts a tool that was not denied as allowed. deny and
                          allow are machine-wide: kept in the control folder, so proxies
                          started later obey them too, until "allow --all"
      --fleet             deny and allow for every proxy on the state store of the proxy
                          named by --control (or the one found): kept in that store
                          (--state sqlite:PATH or redis://...), in force within a second
                          on every proxy that uses it, later ones too
      --reason R          for deny and reject: the reason the agent is given
      --timeout MS        how long to wait for each proxy's answer (default 5000)
      --json              JSON output (the default)
  -h, --help              this help

Proxies are looked for in ${discoveryDirs().join(", ")}
(INTERCEPT_CONTROL_DIR names one folder instead).

Exit codes:
  0  done, on every proxy asked
  1  refused: a proxy answered with an error (an invalid policy, a tool not denied, ...)
  2  usage: a bad command line, or several proxies and neither --control nor --all
  3  no proxy: none is running where ctl looked
  4  bad socket path: nothing answers at the path (absent, stale, not a socket, no access)
  5  no answer within --timeout: the request may still apply
With --all, the first of 5, 1, 4 that happened. approve and reject go to every proxy when
no --control is given (approval ids are unique): 0 when one took it, 1 when none holds it.`;

const DEFAULT_TIMEOUT_MS = 5_000;
const COMMANDS = "status, reload, deny, allow, reset, approvals, approve and reject";
const APPROVAL_ID = /^[0-9a-f]{1,64}$/;

interface Command {
  method: ControlMethod;
  params?: Record<string, unknown>;
  /** The tool or pattern named on the command line, for "did you mean". */
  tool?: string;
}

export async function runCtl(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, [
    { name: "control", value: true },
    { name: "all" },
    { name: "fleet" },
    { name: "reason", value: true },
    { name: "timeout", value: true },
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
  const timeoutMs = ctlTimeout(args);
  const all = args.flags.has("all");
  const fleet = args.flags.has("fleet");
  // INTERCEPT_CONTROL is only a default: --all overrides it, a --control flag does not.
  if (all && argv.some((arg) => arg === "--control" || arg.startsWith("--control="))) {
    throw new UsageError("Give either --control PATH or --all, not both", "ctl");
  }
  if (fleet && all) throw new UsageError("Give either --all or --fleet, not both", "ctl");
  const wide = (all || fleet) && (command.method === "deny" || command.method === "allow");
  if (fleet && !wide) {
    throw new UsageError(`--fleet applies to deny and allow, not to ${command.method}`, "ctl");
  }
  if (wide) command.params = { ...command.params, scope: all ? "machine" : "fleet" };
  let machine: { path: string; changed: boolean } | null = null;
  if (all && wide) {
    try {
      machine = await writeMachineDeny(
        command.method as "deny" | "allow",
        command.tool!,
        stringFlag(args, "reason"),
        operatorName(),
      );
    } catch (error) {
      if (!(error instanceof MachineDenyFileError || error instanceof RangeError)) throw error;
      console.error(`intercept ctl: ${(error as Error).message}`);
      return EXIT.refused;
    }
  }

  const explicit = all ? undefined : stringFlag(args, "control");
  let paths: string[];
  if (explicit !== undefined) paths = [explicit];
  else {
    const dirs = discoveryDirs();
    paths = await discoverProxies(dirs, {
      onProblem: (problem) => console.error(`intercept ctl: warning: ${problem}`),
    });
    if (paths.length === 0 && machine) {
      console.log("[]");
      console.error(
        `intercept ctl: no proxy is running; the machine-wide ${command.method} is kept in ` +
          `${machine.path} for proxies that start later`,
      );
      return EXIT.ok;
    }
    if (paths.length === 0) {
      console.error(
        `intercept ctl: no running intercept proxy found in ${dirs.join(", ")} ` +
          "(start one, or give --control PATH)",
      );
      return EXIT.noProxy;
    }
  }
  if (fleet && explicit === undefined) paths = [await fleetProxy(paths, timeoutMs)];
  const single = explicit !== undefined || paths.length === 1;
  if (!single && isApprovalAnswer(command.method)) {
    return await answerApproval(paths, command, timeoutMs);
  }
  const mutating = command.method !== "status" && command.method !== "approvals";
  if (!single && !all && mutating) return await severalProxies(paths, timeoutMs);

  const targets = await askEverywhere(paths, command, {
    timeoutMs,
    idempotentAllow: all,
    by: operatorName(),
  });
  // A machine-wide allow that lifted the file's deny did what was asked, whatever proxies say.
  const lifted = command.method === "allow" && machine?.changed === true;
  const warning = lifted ? null : unknownToolWarning(command.method, command.tool, targets);
  if (warning) console.error(`intercept ctl: warning: ${warning}`);
  if (single) printSingle(targets[0]);
  else console.log(JSON.stringify(targets.map(outcomeJson), null, 2));
  for (const target of targets) reportFailure(target);
  return exitCodeOf(targets.map((target) => target.answer));
}

function parseCommand(words: string[], args: ReturnType<typeof parseArgs>): Command {
  const [name, ...operands] = words;
  const reason = stringFlag(args, "reason");
  if (name === undefined) {
    throw new UsageError(`Name a command: ${COMMANDS}`, "ctl");
  }
  if (reason !== undefined && name !== "deny" && name !== "reject") {
    throw new UsageError(`--reason applies to deny and reject only, not to ${name}`, "ctl");
  }
  const most = (count: number, usage: string) => {
    if (operands.length > count) {
      throw new UsageError(`Too many arguments for ${name}; usage: ${usage}`, "ctl");
    }
  };
  const needTool = (usage: string) => {
    if (operands.length === 0 || operands[0].trim() === "") {
      throw new UsageError(`${name} needs a tool name; usage: ${usage}`, "ctl");
    }
    most(1, usage);
    return operands[0].trim();
  };
  switch (name) {
    case "status":
    case "reload":
    case "approvals":
      most(0, `ctl ${name}`);
      return { method: name };
    case "deny": {
      const tool = needTool("ctl deny TOOL [--reason R]");
      const params = reason === undefined ? { tool } : { tool, reason };
      return { method: "deny", params, tool };
    }
    case "allow": {
      const tool = needTool("ctl allow TOOL");
      return { method: "allow", params: { tool }, tool };
    }
    case "reset":
      most(1, "ctl reset [TOOL]");
      return operands.length
        ? { method: "reset", params: { tool: operands[0] }, tool: operands[0] }
        : { method: "reset", params: {} };
    case "approve":
    case "reject": {
      const usage = name === "approve" ? "ctl approve ID" : "ctl reject ID [--reason R]";
      if (operands.length === 0) {
        throw new UsageError(`${name} needs an approval id; usage: ${usage}`, "ctl");
      }
      most(1, usage);
      const id = operands[0].trim().toLowerCase();
      if (!APPROVAL_ID.test(id)) {
        throw new UsageError(
          `"${operands[0]}" is not an approval id (hex, as ctl approvals lists them)`,
          "ctl",
        );
      }
      return { method: name, params: reason === undefined ? { id } : { id, reason } };
    }
    default:
      throw new UsageError(`Unknown command "${name}"; the commands are ${COMMANDS}`, "ctl");
  }
}

function ctlTimeout(args: ReturnType<typeof parseArgs>): number {
  try {
    return integerFlag(args, "timeout", DEFAULT_TIMEOUT_MS, { min: 1, max: 600_000 });
  } catch (error) {
    throw new UsageError((error as Error).message, "ctl");
  }
}

function printSingle(target: Target): void {
  const { answer } = target;
  if (answer.kind === "result") console.log(JSON.stringify(answer.result, null, 2));
  else console.log(JSON.stringify({ error: answer.error }, null, 2));
}

function outcomeJson(target: Target): Record<string, unknown> {
  const { answer } = target;
  const base = { path: target.path, name: target.name };
  return answer.kind === "result"
    ? { ...base, result: answer.result }
    : { ...base, error: answer.error };
}

function reportFailure(target: Target): void {
  const { answer } = target;
  if (answer.kind === "result") return;
  const { message, data } = answer.error;
  console.error(`intercept ctl: ${describe(target)}: ${message}`);
  const errors = (data as { errors?: unknown } | undefined)?.errors;
  if (Array.isArray(errors)) { for (const line of errors) console.error(String(line)); }
}

function describe(target: Target): string {
  return target.name ? `${target.name} (${target.path})` : target.path;
}

/** Several proxies and no choice made: list them by name, act on none. */
async function severalProxies(paths: string[], timeoutMs: number): Promise<number> {
  const targets = await askEverywhere(paths, { method: "status" }, {
    timeoutMs: Math.min(timeoutMs, 2_000),
    idempotentAllow: false,
    by: null,
  });
  const lines = targets.map((target) => {
    const status = target.answer.kind === "result"
      ? target.answer.result as { pid?: number }
      : null;
    const pid = status?.pid ?? "?";
    return `  pid ${pid}  ${target.name ?? "(no name)"}  ${target.path}`;
  });
  console.error(
    `intercept ctl: ${paths.length} intercept proxies are running; ` +
      `pick one with --control PATH, or use --all:\n${lines.join("\n")}`,
  );
  return EXIT.usage;
}
