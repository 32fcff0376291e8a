/** The dashboard: renders the store's snapshot and turns keys into store commands. */
import { Box, Text, useApp, useInput, useStdin } from "ink";
import { useRef, useState, useSyncExternalStore } from "react";
import type { DashboardSnapshot } from "./dashboard_state.ts";
import type { CommandOutcome } from "./dashboard_store.ts";
import { DecisionStream } from "./decision_stream.tsx";
import { Footer } from "./footer.tsx";
import { Header, headerRows } from "./header.tsx";
import { type Command, handleInput, initialUi, type KeyInfo, type UiState } from "./keymap.ts";
import { filterStream, filterTools, layoutRows, resolveSelection } from "./navigation.ts";
import { ToolTable } from "./tool_table.tsx";
import { useTerminalSize } from "./use_terminal_size.ts";
import { emptyLines, helpLine } from "./frame_text.ts";

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
}

export function App(props: { store: AppStore }) {
  const { store } = props;
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const { columns, rows } = useTerminalSize();
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  // Keys can come faster than renders, so the handler reads and writes the state in a ref.
  const uiRef = useRef<UiState>(initialUi);
  const [ui, setUi] = useState<UiState>(initialUi);
  const view = visible(snapshot, ui);
  const header = view.proxy ? headerRows(snapshot.proxies, view.proxy, columns) : 0;
  const layout = layoutRows(rows, header, view.tools.length);

  useInput((input: string, key: KeyInfo) => {
    const current = visible(store.getSnapshot(), uiRef.current);
    const result = handleInput(uiRef.current, input, key, {
      proxies: current.proxies,
      tools: current.tools.map((tool) => tool.name),
      pageSize: Math.max(1, layout.toolRows - 1),
    });
    uiRef.current = result.ui;
    setUi(result.ui);
    for (const command of result.commands) {
      if (command.kind === "quit") return exit();
      void run(store, command);
    }
  }, { isActive: isRawModeSupported });

  if (!view.proxy) {
    return (
      <Box flexDirection="column" width={columns} height={rows} overflow="hidden">
        <Text bold>intercept dashboard</Text>
        {emptyLines(snapshot.source, snapshot.discovered).map((line, index) => (
          <Text key={index} color={index === 0 ? "yellow" : "gray"} wrap="truncate-end">
            {line}
          </Text>
        ))}
        <Box flexGrow={1} />
        {snapshot.notice && <Text color="red" wrap="truncate-end">{snapshot.notice.text}</Text>}
        <Text color="gray" wrap="truncate-end">{helpLine(columns, [["q", "quit"]])}</Text>
      </Box>
    );
  }
  const stream = filterStream(snapshot.stream, ui.filter);
  return (
    <Box flexDirection="column" width={columns} height={rows} overflow="hidden">
      <Header proxies={snapshot.proxies} proxy={view.proxy} width={columns} />
      <ToolTable
        tools={view.tools}
        selected={view.tool}
        width={columns}
        rows={layout.toolRows}
        now={snapshot.now}
        filter={ui.filter}
      />
      <DecisionStream
        entries={stream}
        rows={layout.streamRows}
        width={columns}
        showPid={snapshot.proxies.length > 1}
        title={ui.filter ? `decisions matching "${ui.filter}"` : "decisions"}
      />
      <Box flexGrow={1} />
      <Footer
        mode={ui.mode}
        notice={snapshot.notice}
        filter={ui.filter}
        width={columns}
        proxies={snapshot.proxies.length}
      />
    </Box>
  );
}

/** The proxy, tools and selection on screen for a snapshot and the UI state. */
function visible(snapshot: DashboardSnapshot, ui: UiState) {
  const proxies = snapshot.proxies.map((proxy) => proxy.path);
  const path = resolveSelection(proxies, ui.proxy);
  const proxy = snapshot.proxies.find((p) => p.path === path) ?? null;
  const tools = proxy ? filterTools(proxy.tools, ui.filter) : [];
  const tool = resolveSelection(tools.map((t) => t.name), ui.tool);
  return { proxies, proxy, tools, tool };
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
  }
}
