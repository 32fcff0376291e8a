/**
 * Drives a real terminal for end-to-end dashboard tests: a detached tmux session running a
 * command, read with `capture-pane`, typed into with `send-keys`.
 */

/** Whether tmux is installed; tests that need it are skipped without it. */
export function hasTmux(): boolean {
  try {
    return new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

async function tmux(socket: string, args: string[]): Promise<string> {
  const output = await new Deno.Command("tmux", { args: ["-L", socket, ...args] }).output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    const error = new TextDecoder().decode(output.stderr).trim();
    throw new Error(`tmux ${args[0]} failed: ${error}`);
  }
  return text;
}

export interface TmuxSessionOptions {
  /** Environment variables set for the command. */
  env?: Record<string, string>;
  cwd?: string;
  columns?: number;
  rows?: number;
}

/** A detached tmux session on its own server socket, so tests never touch the user's tmux. */
export class TmuxSession {
  readonly #socket: string;
  readonly name = "intercept-test";

  private constructor(socket: string) {
    this.#socket = socket;
  }

  /** Starts `command` (run by `sh -c`) in a new session of `columns`×`rows` (100×30). */
  static async start(command: string, options: TmuxSessionOptions = {}): Promise<TmuxSession> {
    const session = new TmuxSession(
      `intercept-test-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`,
    );
    const env = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${shellQuote(v)}`);
    // The pane stays after the command ends, showing its exit status for waitForExit().
    const exports = env.length ? `export ${env.join(" ")}; ` : "";
    const script = `${exports}${command}; printf '\\n[exited %s]\\n' "$?"`;
    await tmux(session.#socket, [
      "-f",
      "/dev/null",
      "new-session",
      "-d",
      "-s",
      session.name,
      "-x",
      String(options.columns ?? 100),
      "-y",
      String(options.rows ?? 30),
      ...(options.cwd ? ["-c", options.cwd] : []),
      "sh",
      "-c",
      script,
      // In the same tmux command, so even a command that ends at once leaves its pane.
      ";",
      "set-option",
      "-t",
      session.name,
      "remain-on-exit",
      "on",
    ]);
    return session;
  }

  /** Appends everything the pane's program writes from now on to `path` (raw, with escapes). */
  async logTo(path: string): Promise<void> {
    await tmux(this.#socket, ["pipe-pane", "-o", "-t", this.name, `cat >> ${shellQuote(path)}`]);
  }

  /** The visible screen as text, one line per row. */
  capture(): Promise<string> {
    return tmux(this.#socket, ["capture-pane", "-p", "-t", this.name]);
  }

  /** Sends keys as tmux names them: `q`, `Enter`, `Down`, `Escape`, `Tab`, or literal text. */
  async sendKeys(...keys: string[]): Promise<void> {
    await tmux(this.#socket, ["send-keys", "-t", this.name, ...keys]);
  }

  /** Resizes the window, as a person dragging the terminal's edge. */
  async resize(columns: number, rows: number): Promise<void> {
    await tmux(this.#socket, [
      "resize-window",
      "-t",
      this.name,
      "-x",
      String(columns),
      "-y",
      String(rows),
    ]);
  }

  /** Types text literally, each character a key. */
  async type(text: string): Promise<void> {
    await tmux(this.#socket, ["send-keys", "-t", this.name, "-l", text]);
  }

  /** Waits until the screen contains `text` (or matches it); returns the screen. */
  async waitForText(text: string | RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = "";
    for (;;) {
      screen = await this.capture();
      if (typeof text === "string" ? screen.includes(text) : text.test(screen)) return screen;
      if (Date.now() > deadline) {
        throw new Error(
          `Timed out after ${timeoutMs} ms waiting for ${text}; the screen:\n${screen}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Waits until the command has ended; returns its exit status. */
  async waitForExit(timeoutMs = 15_000): Promise<number> {
    const screen = await this.waitForText(EXIT_MARK, timeoutMs);
    return Number(EXIT_MARK.exec(screen)![1]);
  }

  /** Ends the session and its tmux server, and removes the server's socket. */
  async kill(): Promise<void> {
    let socketPath: string | null = null;
    try {
      socketPath = (await tmux(this.#socket, ["display-message", "-p", "#{socket_path}"])).trim();
      await tmux(this.#socket, ["kill-server"]);
    } catch {
      // Already gone.
    }
    if (socketPath) await Deno.remove(socketPath).catch(() => {});
  }
}

const EXIT_MARK = /\[exited (\d+)\]/;

export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
