/** The scrolling decision stream, newest at the bottom. */
import { Box, Text } from "ink";
import type { StreamEntry } from "./dashboard_state.ts";
import { titledRule } from "./format.ts";
import { Line } from "./line.tsx";
import { streamColumns, streamLine } from "./view_model.ts";

export interface DecisionStreamProps {
  entries: readonly StreamEntry[];
  rows: number;
  width: number;
  showPid: boolean;
  title: string;
}

export function DecisionStream(props: DecisionStreamProps) {
  const { entries, rows, width, showPid } = props;
  const shown = rows > 0 ? entries.slice(-rows) : [];
  const columns = streamColumns(shown, width, { showPid });
  return (
    <Box flexDirection="column">
      <Text color="gray" wrap="truncate-end">
        {titledRule(props.title, width)}
      </Text>
      {shown.length === 0 && rows > 0 && <Text color="gray">No decisions yet</Text>}
      {shown.map((entry, index) => (
        <Line
          key={`${entries.length - shown.length + index}`}
          segments={streamLine(entry, width, { showPid, columns })}
        />
      ))}
    </Box>
  );
}
