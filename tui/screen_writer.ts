/**
 * Paints the dashboard's frame on the terminal: only the lines that changed since the last
 * frame, each at its own row, all of a frame in one write inside a synchronized update, so
 * the terminal never shows half a frame. Ink's own renderer rebuilds every cell of the screen
 * each frame (about 17 ms a frame at 120×40, most of the dashboard's CPU under a busy stream);
 * this costs a string comparison per line.
 */

const ESC = "\u001b[";
const BEGIN_SYNC = `${ESC}?2026h`;
const END_SYNC = `${ESC}?2026l`;

export class ScreenWriter {
  readonly #write: (text: string) => void;
  #previous: string[] = [];
  #size = "";
  #open = false;

  /** `write` must hand each string to the terminal in one piece. */
  constructor(write: (text: string) => void) {
    this.#write = write;
  }

  /** Enters the alternate screen and hides the cursor. */
  open(): void {
    if (this.#open) return;
    this.#open = true;
    this.#previous = [];
    this.#write(`${ESC}?1049h${ESC}?25l${ESC}H${ESC}2J`);
  }

  /** Draws `lines` (already styled, each within `columns`) on a `columns`×`rows` screen. */
  draw(lines: readonly string[], columns: number, rows: number): void {
    if (!this.#open) return;
    const size = `${columns}x${rows}`;
    const full = size !== this.#size;
    this.#size = size;
    let out = full ? `${ESC}H${ESC}2J` : "";
    for (let row = 0; row < rows; row++) {
      const line = lines[row] ?? "";
      if (!full && this.#previous[row] === line) continue;
      // Erase first: writing up to the last column and then erasing would erase that column.
      out += `${ESC}${row + 1};1H${ESC}2K${line}`;
    }
    this.#previous = lines.slice(0, rows);
    if (out !== "") this.#write(BEGIN_SYNC + out + END_SYNC);
  }

  /** Draws everything again at the next frame (after something else wrote on the screen). */
  invalidate(): void {
    this.#size = "";
  }

  /** Shows the cursor and leaves the alternate screen, back to what was there before. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#write(`${ESC}0m${ESC}?25h${ESC}?1049l`);
  }
}

const encoder = new TextEncoder();

/** Writes to the terminal (stdout) in one piece, without Node's stream layer. */
export function terminalWrite(text: string): void {
  const bytes = encoder.encode(text);
  try {
    for (let written = 0; written < bytes.length;) {
      written += Deno.stdout.writeSync(bytes.subarray(written));
    }
  } catch {
    // The terminal is gone; the dashboard is ending anyway.
  }
}
