/**
 * `intercept demo`: the embedded default. This same program three times over: a demo Kafka MCP
 * server (`intercept demo --server`), the proxy in front of it under the bundled policy, and a
 * simulated agent driving the proxy, shown live (or, headless, one line per decision).
 */
import process from "node:process";
import { parseArgs, stringFlag, UsageError } from "../cli/args.ts";
import { parentOf, prepareControlFolder } from "../control/control_folder.ts";
import { controlDir } from "../control/socket_path.ts";
import {
  type AgentEra,
  DEFAULT_ERA,
  eraLabel,
  MODERN_VERSION,
  parseEra,
} from "../demo/agent_era.ts";
import { ApprovalWatch } from "../demo/approval_watch.ts";
import {
  DASHBOARD_TIMEOUT_S,
  DEMO_BASE_POLICY,
  HEADLESS_TIMEOUT_S,
  HELD_TOOL,
  writeDemoPolicy,
} from "../demo/demo_policy.ts";
import {
  DemoTally,
  formatCallLine,
  formatHeldLine,
  formatLink,
  formatNote,
} from "../demo/demo_report.ts";
import { selfCommand } from "../demo/self_command.ts";
import { ProxyChild } from "../demo/proxy_child.ts";
import type { AgentOptions } from "../demo/simulated_agent.ts";
import { styleLine } from "../../tui/ansi.ts";
import { ScreenWriter, terminalWrite } from "../../tui/screen_writer.ts";

/** The bundled policy the demo's own is made from (with create-connector held for a human). */
export const DEMO_POLICY = DEMO_BASE_POLICY;
/** How the demo's own policy is named on screen. */
const OWN_POLICY = `${DEMO_POLICY}, ${HELD_TOOL} held for a human`;

const DEMO_FLAGS = [
  { name: "headless" },
  { name: "duration", value: true },
  { name: "pace-ms", value: true },
  { name: "policy", value: true },
  { name: "era", value: true },
  { name: "help", short: "h" },
];

export const DEMO_HELP = `Usage: intercept demo [--headless] [--duration SECONDS] [--pace-ms N]
                      [--era modern|auto|legacy] [--policy POLICY]

Runs a demo Kafka MCP server (in memory, the Confluent server's core tools), the intercept
proxy in front of it under ${DEMO_POLICY}, and a simulated agent that calls tools: some
allowed, some past the rate limit, one with a missing argument, one destructive, and a new
connector, which the demo's policy holds for a human: in the dashboard y approves it (within
${DASHBOARD_TIMEOUT_S} s); headless nobody answers and it is denied after ${HEADLESS_TIMEOUT_S} s.

Flags:
      --headless           one line per decision and a summary at the end, no live view
      --duration SECONDS   stop after this long (default: until Ctrl-C; headless
                           or without a terminal: one pass of the agent's script)
      --pace-ms N          between the agent's calls (default 500)
      --policy POLICY      run the demo under another policy, as it is (default
                           ${DEMO_POLICY} with ${HELD_TOOL} held for a human)
      --era ERA            the MCP era of the agent's client (default ${DEFAULT_ERA}):
                             modern  MCP ${MODERN_VERSION}: server/discover, no initialize
                             auto    negotiated by the client (modern here: the proxy
                                     and the demo server speak both eras)
                             legacy  the initialize handshake (MCP 2025-11-25)
  -h, --help               this help`;

const MAX_DURATION_S = 7 * 24 * 3600;
/** How long the dashboard waits for the proxy's control socket. */
const SOCKET_WAIT_MS = 15_000;
/** The agent's client, then React and Ink (the keys), load once the proxy is live, or after this long. */
const KEYS_WITHIN_MS = 1_000;
/** What the dashboard calls the demo's proxy. */
const DEMO_NAME = "kafka-demo";
/** For newcomers, in the dashboard's footer. */
const GUIDE = "New here? ↓ to produce-message, d to stop it for the agent, a to allow it " +
  "again, ? for every key";

interface DemoOptions {
  headless: boolean;
  durationMs: number | null;
  paceMs: number;
  /** A policy of the user's own; null runs the demo's own. */
  policy: string | null;
  era: AgentEra;
}

/** How long the agent waits for a call: a held one may wait for a human. */
const OWN_CALL_TIMEOUT_MS = (DASHBOARD_TIMEOUT_S + 10) * 1000;
const OTHER_CALL_TIMEOUT_MS = 5 * 60_000;

export async function runDemo(argv: readonly string[]): Promise<number> {
  if (argv.length === 1 && argv[0] === "--server") {
    return (await import("../demo/kafka_demo_server.ts")).runKafkaDemoServer();
  }
  const args = parseArgs(argv, DEMO_FLAGS, { command: "demo" });
  if (args.flags.has("help")) {
    console.log(DEMO_HELP);
    return 0;
  }
  const extra = args.positionals[0] ?? args.rest?.[0];
  if (extra !== undefined) throw new UsageError(`Unexpected argument "${extra}"`, "demo");
  const options: DemoOptions = {
    headless: args.flags.has("headless"),
    durationMs: secondsFlag(stringFlag(args, "duration")),
    paceMs: paceFlag(stringFlag(args, "pace-ms")),
    policy: stringFlag(args, "policy") ?? null,
    era: eraFlag(stringFlag(args, "era")),
  };
  const dashboard = !options.headless && Deno.stdout.isTerminal() && Deno.stdin.isTerminal();
  // A splash at once, drawn without React; the dashboard's modules load while the proxy boots
  // and take over the same screen.
  const splash = dashboard
    ? showSplash(splashLines(options.policy ?? OWN_POLICY, options.era))
    : null;
  try {
    // A bad policy is a usage error here, before anything starts.
    if (options.policy !== null) {
      await (await import("../policy/loader.ts")).loadPolicyFile(options.policy);
    }
  } catch (error) {
    splash?.close();
    throw error;
  }
  return await demo(options, splash);
}

function splashLines(policy: string, era: AgentEra): string[] {
  return [
    "Starting the intercept demo…",
    "  a demo Kafka MCP server (in memory), the intercept proxy in front of it under",
    `  ${policy}, and a simulated agent on ${eraLabel(era)} calling tools through it.`,
    "  The dashboard shows them in a moment; q quits.",
  ];
}

/** The splash as the dashboard draws it, on the screen the dashboard then paints on. */
function showSplash(lines: string[]): ScreenWriter {
  const screen = new ScreenWriter(terminalWrite);
  screen.open();
  const { columns, rows } = Deno.consoleSize();
  const styled = [
    styleLine([{ text: "intercept dashboard", bold: true }], { color: false }),
    ...lines.map((text, i) =>
      styleLine([i === 0 ? { text, colour: "yellow" } : { text, dim: true }], {
        color: !Deno.env.get("NO_COLOR"),
      })
    ),
  ];
  screen.draw(styled, columns, rows);
  return screen;
}

function secondsFlag(text: string | undefined): number | null {
  if (text === undefined) return null;
  const seconds = Number(text);
  if (text.trim() === "" || !Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_DURATION_S) {
    throw new UsageError(
      `Flag --duration must be a number of seconds above 0 (at most ${MAX_DURATION_S}), ` +
        `got "${text}"`,
      "demo",
    );
  }
  return seconds * 1000;
}

function eraFlag(text: string | undefined): AgentEra {
  if (text === undefined) return DEFAULT_ERA;
  const era = parseEra(text);
  if (era === null) {
    throw new UsageError(`Flag --era must be modern, auto or legacy, got "${text}"`, "demo");
  }
  return era;
}

function paceFlag(text: string | undefined): number {
  if (text === undefined) return 500;
  const ms = Number(text);
  if (text.trim() === "" || !Number.isInteger(ms) || ms < 0 || ms > 60_000) {
    throw new UsageError(
      `Flag --pace-ms must be a whole number from 0 to 60000, got "${text}"`,
      "demo",
    );
  }
  return ms;
}

async function demo(options: DemoOptions, screen: ScreenWriter | null): Promise<number> {
  const interactive = !options.headless && Deno.stdout.isTerminal();
  const dashboard = screen !== null;
  // In the usual folder, so that "intercept --tui" and "intercept ctl" elsewhere find it too.
  const controlPath = `${controlDir()}/demo-${Deno.pid}.sock`;
  const [self, ...selfArgs] = selfCommand();
  // The demo's own policy: with the dashboard the operator has time to press y.
  const own = options.policy === null
    ? await writeDemoPolicy(dashboard ? DASHBOARD_TIMEOUT_S : HEADLESS_TIMEOUT_S)
    : null;
  const policy = own
    ? own.path
    : options.policy!.startsWith("builtin:")
    ? options.policy!
    : await Deno.realPath(options.policy!);
  const policyName = options.policy ?? OWN_POLICY;
  const proxyCommand = [
    self,
    ...selfArgs,
    "-c",
    policy,
    "--control",
    controlPath,
    "--name",
    DEMO_NAME,
    "--",
    self,
    ...selfArgs,
    "demo",
    "--server",
  ];

  // The proxy first: it boots, and spawns the server, while the dashboard's modules and the
  // agent's MCP client load here.
  let proxy: ProxyChild;
  try {
    proxy = ProxyChild.spawn(proxyCommand);
  } catch (error) {
    await own?.dispose();
    throw error;
  }
  // Then what paints the live view; the agent's client, then React and Ink (the keys), load
  // once it is live, while the server boots.
  const frames = screen ? import("./tui.ts").then((tui) => tui.loadFrames()) : null;
  // The socket's folder, made as the proxy makes it, so that the dashboard can watch it from
  // the start; a folder that will not do is the proxy's to report.
  await prepareControlFolder(parentOf(controlPath)).catch(() => {});
  const live = Promise.withResolvers<void>();
  const agentModule = (screen ? live.promise : Promise.resolve())
    .then(() => import("../demo/simulated_agent.ts"));
  frames?.catch(() => {});
  agentModule.catch(() => {});

  const stop = new AbortController();
  const timer = options.durationMs === null
    ? undefined
    : setTimeout(() => stop.abort(), options.durationMs);
  const onSignal = () => {
    // A second Ctrl-C does not wait for the proxy.
    if (stop.signal.aborted) Deno.exit(130);
    stop.abort();
  };
  const signals = ["SIGINT", "SIGTERM"] as const;
  // Through node's process, where Ink's exit hook sees it: a hook that sees no other listener
  // sends the signal again, and a Ctrl-C between Ink's start and its raw mode would count twice.
  for (const signal of signals) process.on(signal, onSignal);

  const tally = new DemoTally();
  const write = (line: string) => console.log(line);
  const textLog = interactive && !dashboard;
  const width = interactive ? Deno.consoleSize().columns : Infinity;
  const agentOptions: AgentOptions = {
    era: options.era,
    onConnected: (link) => {
      tally.link = link;
      if (!dashboard) write(formatLink(link, { color: interactive }));
    },
    paceMs: options.paceMs,
    passes: !interactive && options.durationMs === null ? 1 : Infinity,
    signal: stop.signal,
    onCall: (call) => {
      tally.add(call);
      if (!dashboard) write(formatCallLine(call, { color: interactive, width }));
    },
    onNote: textLog ? (text) => write(formatNote(text, { color: true })) : undefined,
    callTimeoutMs: own ? OWN_CALL_TIMEOUT_MS : OTHER_CALL_TIMEOUT_MS,
  };
  // Calls held for a human, from the proxy's control socket: a line each, and the summary.
  const approvals = new ApprovalWatch(controlPath, {
    onNotice: (notice) => {
      tally.approval(notice);
      if (!dashboard && notice.event === "requested") {
        write(formatHeldLine(notice, { color: interactive, width }));
      }
    },
  });
  if (textLog) {
    write(
      `intercept demo: a simulated agent calls a demo Kafka MCP server through the intercept ` +
        `proxy, under ${policyName}.\nALLOW: the server ran the call; DENY: the proxy ` +
        `answered for it; HELD: it waits for a human (headless, nobody answers). ` +
        `Ctrl-C to stop.\n`,
    );
  }

  const started = Date.now();
  let code = 0;
  try {
    const agent = agentModule.then(({ runSimulatedAgent }) =>
      runSimulatedAgent(proxy, agentOptions)
    );
    if (screen) {
      const splash = splashLines(policyName, options.era);
      // Once the view is live: the agent's client, then the keys.
      const onLive = () => {
        live.resolve();
        return agentModule;
      };
      code = await showDashboard(controlPath, splash, agent, stop, screen, onLive);
    }
    await agent;
  } catch (error) {
    if (!(error instanceof (await agentModule).AgentError)) throw error;
    // Ctrl-C in a terminal reaches the proxy too: its end is then no failure.
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (!stop.signal.aborted) {
      console.error(`intercept demo: ${error.message}`);
      code = 1;
    }
  } finally {
    clearTimeout(timer);
    for (const signal of signals) process.off(signal, onSignal);
    await approvals.close();
    // The agent closes the proxy; this covers an agent that never started.
    await proxy.close();
    // The proxy removes its socket; this covers a proxy that was killed.
    await Deno.remove(controlPath).catch(() => {});
    await own?.dispose();
  }
  write((interactive ? "\n" : "") + tally.summary(Date.now() - started).join("\n"));
  return code;
}

/**
 * The dashboard on the proxy's control socket, drawn at once with a splash while the server,
 * the proxy and the agent start; quitting it ends the demo. A proxy that does not come up ends
 * it too, with the agent's error.
 */
async function showDashboard(
  path: string,
  splash: string[],
  agent: Promise<unknown>,
  stop: AbortController,
  screen: ScreenWriter,
  onLive: () => Promise<unknown>,
): Promise<number> {
  let code = 0;
  let agentFailed = false;
  const closed = new AbortController();
  agent.catch(() => {
    // The caller reports the agent's error (a proxy that did not start).
    agentFailed = true;
    closed.abort();
  });
  stop.signal.addEventListener("abort", () => closed.abort());
  const deadline = setTimeout(async () => {
    if (await exists(path)) return;
    console.error(`intercept demo: The proxy's control socket ${path} did not appear`);
    code = 1;
    closed.abort();
  }, SOCKET_WAIT_MS);
  const { showDashboard: show } = await import("./tui.ts");
  try {
    await show({
      control: path,
      splash,
      screen,
      guide: GUIDE,
      discoverMs: 100,
      deferKeys: { withinMs: KEYS_WITHIN_MS, then: onLive },
      signal: closed.signal,
    });
  } finally {
    clearTimeout(deadline);
    // The agent waits for this: it starts (and, when stopped, ends at once) whatever happened.
    void onLive();
    screen.close();
    if (!agentFailed) stop.abort();
  }
  return code;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
