/** `intercept --tui [--control PATH]`: the live dashboard of every running proxy. */
import { parseArgs, stringFlag } from "../cli/args.ts";
import { discoveryDirs } from "../control/socket_path.ts";

export const TUI_HELP = `Usage: intercept --tui [--control PATH]

The live dashboard. Without --control it shows every proxy of this user, looking in
${discoveryDirs().join(", ")}
(and keeps watching for new ones; INTERCEPT_CONTROL_DIR names one folder instead); with it,
the one proxy at PATH.

Keys (? shows them all):
  ↑ ↓          select a tool             tab          next proxy
  d            deny it (asks a reason)    a            allow it again
  D / A        deny / allow it on every proxy shown (asks to confirm)
  r            reload the policy file     x            reset the tool's quotas
  y            approve the held call marked › in the approvals pane
  n            reject it (asks a reason)  ↑ from the first tool enters the pane
  e            the full error of a refused reload
  s            sort by calls per minute or by name
  p            pause the stream (PgUp PgDn scroll it)   v   this proxy's stream or all
  /            filter tools and decisions (Esc clears)
  ?            help                       q            quit

Needs a terminal of at least 80×24. NO_COLOR turns colours off.

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
  await showDashboard({ control: stringFlag(args, "control") ?? null });
  return 0;
}

export interface DashboardOptions {
  /** One proxy's socket, or null for every proxy found. */
  control: string | null;
  /** A hint for newcomers in the footer. */
  guide?: string;
  /** Shown while no proxy is up yet. */
  splash?: string[];
  /** How often to look for proxies (2 s); the demo looks more often while it starts. */
  discoverMs?: number;
  /** Closes the dashboard, as q does. */
  signal?: AbortSignal;
  /**
   * Load React and Ink (the keys) once a proxy is shown live, or after `withinMs` at the
   * latest, so that loading them does not hold the first live frame (the demo's start); `then`
   * is called at that moment, and the keys load once what it returns settles. Unset: they load
   * at once.
   */
  deferKeys?: { withinMs: number; then?: () => Promise<unknown> | void };
  /** The screen to paint on, already showing something (the demo's splash); else a new one. */
  screen?: import("../../tui/screen_writer.ts").ScreenWriter;
}

let frameModules: ReturnType<typeof importFrames> | null = null;
let keyModules: ReturnType<typeof importKeys> | null = null;

/** Starts loading what draws the dashboard's frames (the store, the control client, the frame). */
export function loadFrames(): ReturnType<typeof importFrames> {
  return frameModules ??= importFrames();
}

/** Starts loading React, Ink and the app, which take the keys (about 0.3 s of CPU). */
export function loadKeys(): ReturnType<typeof importKeys> {
  return keyModules ??= importKeys();
}

function importFrames() {
  return Promise.all([
    import("../../tui/dashboard_store.ts"),
    import("../../tui/proxy_link.ts"),
    import("../control/control_client.ts"),
    import("../control/discover.ts"),
    import("../../tui/frame.ts"),
    import("../../tui/keymap.ts"),
    import("../../tui/ansi.ts"),
    import("../../tui/screen_writer.ts"),
  ]);
}

function importKeys() {
  // React's production build: the development one costs several times the CPU per frame.
  if (!Deno.env.get("NODE_ENV")) Deno.env.set("NODE_ENV", "production");
  return Promise.all([
    import("react"),
    import("ink"),
    import("node:process"),
    import("../../tui/app.tsx"),
  ]);
}

/**
 * Draws the dashboard until the operator quits. Needs a terminal. The live view is painted as
 * soon as the store and the frame are loaded; React and Ink (about 0.3 s more) then take over
 * the same screen, with the keys.
 */
export async function showDashboard(options: DashboardOptions): Promise<void> {
  const { deferKeys } = options;
  if (!deferKeys) void loadKeys().catch(() => {});
  const [store, link, client, discovery, frame, keymap, ansi, screen] = await loadFrames();
  const { control } = options;
  const dirs = discoveryDirs();
  const dashboard = new store.DashboardStore({
    connect: (path) => client.ControlClient.connect(path, { timeoutMs: 2000 }),
    discover: control
      ? async () => (await link.socketExists(control)) ? [control] : []
      : (onProblem) => discovery.discoverProxies(dirs, { onProblem }),
    source: control ? { kind: "path", location: control } : { kind: "dirs", locations: dirs },
    discoverMs: options.discoverMs,
  });
  // The frame is painted by the screen writer, changed lines only, one write a frame; Ink runs
  // the app and the keyboard, and draws nothing itself.
  const painter = options.screen ?? new screen.ScreenWriter(screen.terminalWrite);
  const color = ansi.colorWanted((name) => Deno.env.get(name));
  // Until the app is up: the same frame as its first, from the store's snapshots.
  const paint = () => {
    const { columns, rows } = terminalSize();
    const { lines } = frame.buildFrame(dashboard.getSnapshot(), keymap.initialUi, {
      columns,
      rows,
      guide: options.guide ?? null,
      splash: options.splash ?? null,
    });
    const texts = lines.map((line) =>
      ansi.styleLine(line.segments, { color, inverse: line.inverse })
    );
    painter.draw(texts, columns, rows);
  };
  let unsubscribe: (() => void) | null = null;
  let keysTimer: ReturnType<typeof setTimeout> | undefined;
  // One proxy's socket: it shows as soon as it appears (the poll stays, for a folder that is
  // not there yet or cannot be watched). Watched first, so that no creation falls between.
  const watcher = control ? watchFolder(control, () => dashboard.discoverNow()) : null;
  dashboard.start();
  try {
    painter.open();
    paint();
    const keysWanted = Promise.withResolvers<void>();
    unsubscribe = dashboard.subscribe(() => {
      paint();
      if (dashboard.getSnapshot().proxies.some((proxy) => proxy.link === "connected")) {
        keysWanted.resolve();
      }
    });
    if (deferKeys) {
      keysTimer = setTimeout(keysWanted.resolve, deferKeys.withinMs);
      options.signal?.addEventListener("abort", () => keysWanted.resolve());
      await keysWanted.promise;
      await Promise.resolve(deferKeys.then?.()).catch(() => {});
    }
    if (options.signal?.aborted) return;
    const [React, { render }, process, app] = await loadKeys();
    unsubscribe();
    unsubscribe = null;
    if (options.signal?.aborted) return;
    const element = React.createElement(app.App, {
      store: dashboard,
      color,
      guide: options.guide ?? null,
      splash: options.splash ?? null,
      screen: painter,
    });
    // A terminal was checked: stay live even where CI=true is set (Ink's CI mode would draw
    // only the last frame).
    const instance = render(element, { stdout: silent(process.default.stdout), interactive: true });
    const close = () => instance.unmount();
    if (options.signal?.aborted) close();
    options.signal?.addEventListener("abort", close);
    try {
      await instance.waitUntilExit();
    } finally {
      options.signal?.removeEventListener("abort", close);
    }
  } finally {
    watcher?.close();
    clearTimeout(keysTimer);
    unsubscribe?.();
    painter.close();
    dashboard.stop();
  }
}

/** Calls `created` whenever something is created in the folder of `path`; null if unwatchable. */
function watchFolder(path: string, created: () => void): Deno.FsWatcher | null {
  const folder = path.slice(0, path.lastIndexOf("/")) || ".";
  let watcher: Deno.FsWatcher;
  try {
    watcher = Deno.watchFs(folder, { recursive: false });
  } catch {
    return null;
  }
  void (async () => {
    for await (const event of watcher) if (event.kind === "create") created();
  })().catch(() => {});
  return watcher;
}

function terminalSize(): { columns: number; rows: number } {
  try {
    return Deno.consoleSize();
  } catch {
    return { columns: 80, rows: 24 };
  }
}

/** Stdout as Ink sees it: the terminal's size and resizes, and writes that go nowhere. */
function silent(stdout: NodeJS.WriteStream): NodeJS.WriteStream {
  return new Proxy(stdout, {
    get(target, property) {
      if (property === "write") {
        return (...args: unknown[]) => {
          const done = args.find((arg) => typeof arg === "function") as (() => void) | undefined;
          if (done) queueMicrotask(done);
          return true;
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
