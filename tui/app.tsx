/** The dashboard: draws the frame built from the store's snapshot and turns keys into commands. */
import { Box, useApp, useInput, useStdin } from "ink";
import { useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { styleLine } from "./ansi.ts";
import type { DashboardSnapshot } from "./dashboard_state.ts";
import type { CommandOutcome } from "./dashboard_store.ts";
import { buildFrame } from "./frame.ts";
import { type Command, handleInput, initialUi, type KeyInfo, type UiState } from "./keymap.ts";
import { Line } from "./line.tsx";
import type { ScreenWriter } from "./screen_writer.ts";
import { useTerminalSize } from "./use_terminal_size.ts";

/** The store as the app uses it (`DashboardStore`, or a test double). */
export interface AppStore {
  subscribe(listener: () => void): () => void;
  getSnapshot(): DashboardSnapshot;
  deny(proxy: string, tool: string, reason?: string | null): Promise<CommandOutcome>;
  allow(proxy: string, tool: string): Promise<CommandOutcome>;
  denyEverywhere(tool: string, reason?: string | null): Promise<CommandOutcome>;
  allowEverywhere(tool: string): Promise<CommandOutcome>;
  reload(proxy: string): Promise<CommandOutcome>;
  reset(proxy: string, tool?: string): Promise<CommandOutcome>;
  approve(proxy: string, id: string): Promise<CommandOutcome>;
  reject(proxy: string, id: string, reason?: string | null): Promise<CommandOutcome>;
}

export interface AppProps {
  store: AppStore;
  /** Colours on (false under NO_COLOR); off by default. */
  color?: boolean;
  /** A hint for newcomers in the footer (the demo's). */
  guide?: string | null;
  /** Shown while no proxy is up yet (the demo's splash). */
  splash?: readonly string[] | null;
  /**
   * Paints the frame itself, changed lines only, instead of through Ink's renderer (the
   * terminal); without it the frame is Ink text (tests).
   */
  screen?: ScreenWriter;
}

export function App(props: AppProps) {
  const { store } = props;
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const { columns, rows } = useTerminalSize();
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  // Keys can come faster than renders, so the handler reads and writes the state in a ref.
  const uiRef = useRef<UiState>(initialUi);
  const [ui, setUi] = useState<UiState>(initialUi);
  const options = { columns, rows, guide: props.guide, splash: props.splash };
  const frame = useMemo(
    () => buildFrame(snapshot, ui, options),
    [snapshot, ui, columns, rows, props.guide, props.splash],
  );
  const color = props.color ?? false;
  const texts = useMemo(
    () => frame.lines.map((line) => styleLine(line.segments, { color, inverse: line.inverse })),
    [frame, color],
  );

  const { screen } = props;
  // In this order: the screen is open before the first frame is drawn on it.
  useLayoutEffect(() => {
    screen?.open();
    return () => screen?.close();
  }, [screen]);
  useLayoutEffect(() => screen?.draw(texts, columns, rows), [screen, texts, columns, rows]);

  useInput((input: string, key: KeyInfo) => {
    const snapshot = store.getSnapshot();
    const result = handleInput(
      uiRef.current,
      input,
      key,
      (ui) => buildFrame(snapshot, ui, options).context,
    );
    uiRef.current = result.ui;
    setUi(result.ui);
    for (const command of result.commands) {
      if (command.kind === "quit") return exit();
      void run(store, command);
    }
  }, { isActive: isRawModeSupported });

  if (screen) return null;
  return (
    <Box flexDirection="column" width={columns} height={rows} overflow="hidden">
      {texts.map((text, index) => <Line key={index} text={text} />)}
    </Box>
  );
}

function run(store: AppStore, command: Exclude<Command, { kind: "quit" }>): Promise<unknown> {
  switch (command.kind) {
    case "deny":
      return store.deny(command.proxy, command.tool, command.reason);
    case "allow":
      return store.allow(command.proxy, command.tool);
    case "denyEverywhere":
      return store.denyEverywhere(command.tool, command.reason);
    case "allowEverywhere":
      return store.allowEverywhere(command.tool);
    case "reload":
      return store.reload(command.proxy);
    case "reset":
      return store.reset(command.proxy, command.tool);
    case "approve":
      return store.approve(command.proxy, command.id);
    case "reject":
      return store.reject(command.proxy, command.id, command.reason);
  }
}
