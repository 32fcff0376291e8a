/** Helpers for Ink tests: bounded waits on frames, and rendering at a chosen terminal size. */
import { EventEmitter } from "node:events";
import { render as inkRender } from "ink";
import type { ReactElement } from "react";

/** Polls `check` until it holds, failing with `describe()` after `timeoutMs`. */
export async function waitUntil(
  check: () => boolean,
  describe: () => string,
  timeoutMs = 3000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits until the last frame contains `text` (or matches it), and returns the frame. */
export async function waitForFrame(
  lastFrame: () => string | undefined,
  text: string | RegExp,
  timeoutMs = 3000,
): Promise<string> {
  const matches = () => {
    const frame = lastFrame() ?? "";
    return typeof text === "string" ? frame.includes(text) : text.test(frame);
  };
  await waitUntil(matches, () => `no ${text} in the frame:\n${lastFrame()}`, timeoutMs);
  return lastFrame()!;
}

/** Waits until the last frame no longer contains `text`. */
export async function waitForFrameWithout(
  lastFrame: () => string | undefined,
  text: string,
  timeoutMs = 3000,
): Promise<string> {
  await waitUntil(
    () => !(lastFrame() ?? "").includes(text),
    () => `${text} still in the frame:\n${lastFrame()}`,
    timeoutMs,
  );
  return lastFrame()!;
}

class FakeStdout extends EventEmitter {
  frames: string[] = [];
  isTTY = false;
  constructor(readonly columns: number, readonly rows: number) {
    super();
  }
  write = (frame: string, ...rest: unknown[]) => {
    this.frames.push(frame);
    const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
    if (callback) queueMicrotask(callback);
    return true;
  };
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  #data: string | null = null;
  write = (data: string) => {
    this.#data = data;
    this.emit("readable");
    this.emit("data", data);
  };
  read = () => {
    const data = this.#data;
    this.#data = null;
    return data;
  };
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

/**
 * Renders like ink-testing-library, but on a terminal of `columns`×`rows`, and exposes
 * `waitUntilExit` so a test can see the app quit.
 */
export function renderAt(tree: ReactElement, size: { columns: number; rows: number }) {
  const stdout = new FakeStdout(size.columns, size.rows);
  const stdin = new FakeStdin();
  const instance = inkRender(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: new FakeStdout(size.columns, size.rows) as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return {
    stdin,
    /** The last frame as text, without its styling. */
    lastFrame: () => {
      const frame = stdout.frames.at(-1);
      return frame === undefined ? undefined : stripAnsi(frame);
    },
    /** The last frame as written, styling included. */
    lastRawFrame: () => stdout.frames.at(-1),
    unmount: instance.unmount,
    waitUntilExit: instance.waitUntilExit,
  };
}

/** Text without its SGR styling codes. */
export function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, "");
}
