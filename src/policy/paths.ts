/** Parsing of condition paths: `args.a.b`, `args.list[0].x`, `args.list[*].x`, `args["a.b"]`. */
import { EVERY, type PathStep } from "./compiled.ts";

export type ParsedPath =
  | { kind: "args"; steps: PathStep[] }
  | { kind: "state"; counterId: string };

/** Returns the parsed path, or an error message naming what is wrong. */
export function parsePath(path: string): ParsedPath | string {
  if (path.startsWith("state.")) {
    const rest = path.slice("state.".length);
    const dot = rest.lastIndexOf(".");
    if (dot <= 0 || dot === rest.length - 1) {
      return `Path "${path}" must name a counter as state.<tool>.<counter>`;
    }
    return { kind: "state", counterId: rest };
  }
  if (path !== "args" && !path.startsWith("args.") && !path.startsWith("args[")) {
    return `Path "${path}" must start with "args." or "state."`;
  }
  const steps = parseSteps(path.slice("args".length));
  if (typeof steps === "string") return `Path "${path}": ${steps}`;
  if (steps.length === 0) return `Path "${path}" must name an argument, such as args.topicName`;
  return { kind: "args", steps };
}

// Sticky, so that each step is read where it stands: no slicing, linear in the path's length.
const NAME = /[^.\[\]]+/y;
const QUOTED = /\["((?:[^"\\]|\\.)*)"\]/y;

function parseSteps(rest: string): PathStep[] | string {
  const steps: PathStep[] = [];
  let i = 0;
  while (i < rest.length) {
    if (rest[i] === ".") {
      NAME.lastIndex = i + 1;
      const match = NAME.exec(rest);
      if (!match) return `expected a name after "." at character ${i + 5}`;
      steps.push(match[0]);
      i += 1 + match[0].length;
    } else if (rest.startsWith('["', i)) {
      QUOTED.lastIndex = i;
      const match = QUOTED.exec(rest);
      if (!match) return `quoted key at character ${i + 5} must be written ["key"]`;
      try {
        steps.push(JSON.parse(`"${match[1]}"`));
      } catch {
        return `quoted key at character ${i + 5} has a bad escape`;
      }
      i += match[0].length;
    } else if (rest[i] === "[") {
      const close = rest.indexOf("]", i);
      if (close < 0) return `"[" at character ${i + 5} is not closed`;
      const inner = rest.slice(i + 1, close);
      if (inner === "*") steps.push(EVERY);
      else if (/^\d+$/.test(inner)) steps.push(Number(inner));
      else return `"[${inner}]" must be an index ([0]), [*] or a quoted key (["a.b"])`;
      i = close + 1;
    } else {
      return `unexpected "${rest[i]}" at character ${i + 5}`;
    }
  }
  return steps;
}

/** The path as text, for messages. */
export function formatPath(steps: readonly PathStep[]): string {
  let text = "args";
  for (const step of steps) {
    if (step === EVERY) text += "[*]";
    else if (typeof step === "number") text += `[${step}]`;
    else if (/^[^.\[\]"]+$/.test(step)) text += `.${step}`;
    else text += `[${JSON.stringify(step)}]`;
  }
  return text;
}
