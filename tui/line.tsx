/** One screen line: text already styled by `styleLine`; never wraps, redrawn only when changed. */
import { Text } from "ink";
import { memo } from "react";

export const Line = memo(function Line(props: { text: string }) {
  return <Text wrap="truncate-end">{props.text}</Text>;
});
