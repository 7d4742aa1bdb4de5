/**
 * Progress for long operations (replays, rebuilds, redrives): a bar redrawn in place on a TTY, a
 * plain line every few seconds otherwise, nothing at all with `--json` (scripts read the result).
 */

/**
 * A bar of `width` cells for a fraction in [0, 1].
 *
 * @example
 * ```ts
 * progressBar(0.5, 10); // "█████░░░░░"
 * ```
 */
export function progressBar(fraction: number, width = 24): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const full = Math.round(f * width);
  return `${"█".repeat(full)}${"░".repeat(width - full)}`;
}

export interface ProgressLine {
  /** Shows the current state (throttled on non-TTY streams). */
  update(text: string): void;
  /** Ends the line with a final text. */
  done(text?: string): void;
}

export function progressLine(
  stream: NodeJS.WriteStream,
  mode: "tty" | "lines" | "off",
  everyMs = 5_000,
): ProgressLine {
  let last = 0;
  let shown = false;
  return {
    update(text) {
      if (mode === "off") return;
      if (mode === "tty") {
        stream.write(`\r\u001b[2K${text}`);
        shown = true;
        return;
      }
      if (Date.now() - last >= everyMs) {
        last = Date.now();
        stream.write(`${text}\n`);
      }
    },
    done(text) {
      if (mode === "off") return;
      if (mode === "tty") {
        if (text !== undefined) stream.write(`\r\u001b[2K${text}\n`);
        else if (shown) stream.write("\n");
        return;
      }
      if (text !== undefined) stream.write(`${text}\n`);
    },
  };
}
