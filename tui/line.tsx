/** One screen line drawn from view-model segments; never wraps. */
import { Text } from "ink";
import type { Segment } from "./view_model.ts";

export function Line(props: { segments: readonly Segment[]; inverse?: boolean }) {
  return (
    <Text wrap="truncate-end" inverse={props.inverse}>
      {props.segments.map((segment, index) => (
        <Text key={index} color={segment.colour} bold={segment.bold}>{segment.text}</Text>
      ))}
    </Text>
  );
}
