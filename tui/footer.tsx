/** The bottom two lines: a prompt or the last command's outcome, then the keys. */
import { Text } from "ink";
import type { Notice } from "./dashboard_state.ts";
import { truncate } from "./format.ts";
import type { Mode } from "./keymap.ts";
import { helpLine } from "./frame_text.ts";

const NOTICE_COLOURS = { info: "green", warn: "yellow", error: "red" } as const;

export interface FooterProps {
  mode: Mode;
  notice: Notice | null;
  filter: string;
  width: number;
  proxies: number;
}

export function Footer(props: FooterProps) {
  const { mode, width } = props;
  if (mode.kind === "reason") {
    const what = mode.scope === "all"
      ? `Deny ${mode.tool} on all ${props.proxies} proxies`
      : `Deny ${mode.tool}`;
    return (
      <>
        {/* Cut from the start, so what is being typed stays in view. */}
        <Text wrap="truncate-start">
          <Text color="magenta" bold>{what}</Text>
          {`, reason (optional): ${mode.text}█`}
        </Text>
        <Text color="gray" wrap="truncate-end">Enter denies · Esc cancels</Text>
      </>
    );
  }
  if (mode.kind === "filter") {
    return (
      <>
        <Text wrap="truncate-start">{`/${mode.text}█`}</Text>
        <Text color="gray" wrap="truncate-end">
          Filter tools and decisions · Enter keeps it · Esc clears it
        </Text>
      </>
    );
  }
  const { notice, filter } = props;
  return (
    <>
      {notice
        ? (
          <Text color={NOTICE_COLOURS[notice.level]} wrap="truncate-end">
            {truncate(notice.text, width)}
          </Text>
        )
        : (
          <Text color="gray" wrap="truncate-end">
            {filter ? `filter: ${filter} (Esc clears)` : " "}
          </Text>
        )}
      <Text color="gray" wrap="truncate-end">{helpLine(width)}</Text>
    </>
  );
}
