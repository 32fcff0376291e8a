/** `intercept --tui [--control PATH]`: the live dashboard of every running proxy. */
import { parseArgs, stringFlag } from "../cli/args.ts";
import { controlDir } from "../control/socket_path.ts";

export const TUI_HELP = `Usage: intercept --tui [--control PATH]

The live dashboard. Without --control it shows every proxy whose control socket is in
${controlDir()} (and keeps watching for new ones); with it, the one proxy at PATH.

Keys:
  ↑ ↓          select a tool            tab          next proxy
  d            deny it (asks a reason)   a            allow it again
  D / A        deny / allow it on every proxy shown
  r            reload the policy file    x            reset the tool's quotas
  /            filter tools and decisions (Esc clears)
  q            quit

Flags:
  --control PATH   the control socket of one proxy (env INTERCEPT_CONTROL)
  -h, --help       this help`;

export interface TuiIo {
  /** Whether both stdin and stdout are a terminal. */
  isTerminal(): boolean;
}

const realIo: TuiIo = { isTerminal: () => Deno.stdin.isTerminal() && Deno.stdout.isTerminal() };

export async function runTui(argv: readonly string[], io: TuiIo = realIo): Promise<number> {
  const args = parseArgs(argv, [{ name: "help", short: "h" }, { name: "control", value: true }], {
    command: "--tui",
  });
  if (args.flags.has("help")) {
    console.log(TUI_HELP);
    return 0;
  }
  if (!io.isTerminal()) {
    console.error(
      "intercept: the dashboard needs a terminal (stdin and stdout must be a TTY); " +
        'run it in a terminal or tmux pane, or script the same controls with "intercept ctl"',
    );
    return 2;
  }
  const control = stringFlag(args, "control");
  if (!Deno.env.get("NODE_ENV")) Deno.env.set("NODE_ENV", "production");
  const [React, { render }, { App }, { DashboardStore }, { socketExists }, client, discovery] =
    await Promise.all([
      import("react"),
      import("ink"),
      import("../../tui/app.tsx"),
      import("../../tui/dashboard_store.ts"),
      import("../../tui/proxy_link.ts"),
      import("../control/control_client.ts"),
      import("../control/discover.ts"),
    ]);
  const store = new DashboardStore({
    connect: (path) => client.ControlClient.connect(path, { timeoutMs: 2000 }),
    discover: control
      ? async () => (await socketExists(control)) ? [control] : []
      : () => discovery.discoverProxies(),
    source: control ? { kind: "path", location: control } : { kind: "dir", location: controlDir() },
  });
  store.start();
  try {
    // A terminal was checked above: stay live even where CI=true is set (Ink's CI mode would
    // draw only the last frame).
    const app = render(React.createElement(App, { store }), {
      alternateScreen: true,
      interactive: true,
      incrementalRendering: true,
    });
    await app.waitUntilExit();
  } finally {
    store.stop();
  }
  return 0;
}
