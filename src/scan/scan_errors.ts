/**
 * Why a scan failed, in words an operator can act on: a command not found, a server that
 * exited (with its code and its last stderr lines), one that did not answer in time, an HTTP
 * status, a URL that cannot be reached.
 */
import type { ChildProcess } from "node:child_process";
import type { Readable } from "node:stream";
import { SdkHttpError } from "@modelcontextprotocol/client";
import { shownUrl } from "../transports/http_context.ts";

export class ScanError extends Error {
  override name = "ScanError";
}

/** How far a scan got: the step it was on, and whether its time ran out. */
export interface Failure {
  step: string;
  aborted: boolean;
}

const STDERR_TAIL_BYTES = 4_096;

interface CommandContext {
  command: readonly string[];
  child: ChildProcess | undefined;
  failure: Failure;
  options: { timeoutMs: number };
  stderr: StderrTail;
}

export function explainCommand(error: Error, context: CommandContext): ScanError {
  const { child, failure } = context;
  const shown = shownCommand(context.command);
  if ((error as { code?: unknown }).code === "ENOENT" && !child) {
    return new ScanError(`Cannot start the server "${shown}": command not found`);
  }
  if (!child) return new ScanError(`Cannot start the server "${shown}": ${error.message}`);
  let message: string;
  if (failure.aborted) {
    // First: once its time ran out the scan closed it, so any exit came after.
    message = `The server "${shown}" did not answer ${failure.step} within ` +
      `${context.options.timeoutMs} ms (--timeout-ms); it was stopped`;
  } else if (child.exitCode !== null || child.signalCode !== null) {
    const how = child.exitCode !== null
      ? `exited with code ${child.exitCode}`
      : `was ended by ${child.signalCode}`;
    message = `The server "${shown}" ${how} before it answered ${failure.step}`;
  } else {
    message = `The server "${shown}" failed ${failure.step}: ${error.message}`;
  }
  const tail = context.stderr.text().trimEnd();
  if (tail) message += `\nIts last output on stderr:\n${indent(tail)}`;
  return new ScanError(message);
}

export function explainUrl(
  error: Error,
  url: URL,
  failure: Failure,
  options: { timeoutMs: number },
): ScanError {
  const who = `The server at ${shownUrl(url)}`;
  if (failure.aborted) {
    return new ScanError(
      `${who} did not answer ${failure.step} within ${options.timeoutMs} ms (--timeout-ms)`,
    );
  }
  if (error instanceof SdkHttpError) {
    const status = `HTTP ${error.status}${error.statusText ? ` ${error.statusText}` : ""}`;
    const hint = error.status === 401 || error.status === 403
      ? " (check the --header credentials)"
      : error.status >= 300 && error.status < 400
      ? " (a redirect: give the URL it points to)"
      : "";
    return new ScanError(`${who} answered ${failure.step} with ${status}${hint}`);
  }
  const cause = (error as { cause?: unknown }).cause;
  const detail = cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  if (error instanceof TypeError || /fetch|connect|network/i.test(detail)) {
    return new ScanError(`Cannot reach the server at ${shownUrl(url)}: ${detail}`);
  }
  return new ScanError(`${who} failed ${failure.step}: ${detail}`);
}

/** A command line as a shell would need it, for messages. */
export function shownCommand(command: readonly string[]): string {
  return command.map(shellWord).join(" ");
}

function shellWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

function indent(text: string): string {
  return text.split("\n").map((line) => `  ${line}`).join("\n");
}

/** The last few KiB the server wrote to stderr, for error messages. */
export class StderrTail {
  #text = "";

  constructor(
    stream: Readable | { on(event: "data", listener: (chunk: unknown) => void): void } | null,
  ) {
    stream?.on("data", (chunk: unknown) => {
      this.#text += typeof chunk === "string"
        ? chunk
        : new TextDecoder().decode(chunk as Uint8Array);
      if (this.#text.length > STDERR_TAIL_BYTES) this.#text = this.#text.slice(-STDERR_TAIL_BYTES);
    });
  }

  text(): string {
    return this.#text;
  }
}
