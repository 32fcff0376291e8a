/** The tool table: posture, counts and quota of each tool, the selected row highlighted. */
import { Box, Text } from "ink";
import type { ToolSnapshot } from "./dashboard_state.ts";
import { Line } from "./line.tsx";
import { scrollStart } from "./navigation.ts";
import { toolColumns, toolHeader, toolRow } from "./view_model.ts";

export interface ToolTableProps {
  tools: readonly ToolSnapshot[];
  selected: string | null;
  width: number;
  rows: number;
  now: number;
  filter: string;
}

export function ToolTable(props: ToolTableProps) {
  const { tools, selected, width, rows, now } = props;
  const columns = toolColumns(width);
  const index = tools.findIndex((tool) => tool.name === selected);
  const start = scrollStart(tools.length, Math.max(0, index), rows);
  const shown = tools.slice(start, start + rows);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end" bold color="gray">{toolHeader(columns)}</Text>
      {shown.length === 0 && (
        <Text color="gray" wrap="truncate-end">
          {props.filter ? `No tool matches "${props.filter}"` : "No tools yet"}
        </Text>
      )}
      {shown.map((tool) => (
        <Line
          key={tool.name}
          inverse={tool.name === selected}
          segments={toolRow(tool, columns, { selected: tool.name === selected, now })}
        />
      ))}
    </Box>
  );
}
