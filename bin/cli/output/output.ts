import { type ProgressLine, progressLine } from "./progress.ts";
import { createStyle, type Style } from "./style.ts";
import type { Column } from "./table.ts";
import { renderTable } from "./table.ts";

/**
 * Where a command writes. For people (default): text and tables on stdout, notes and progress on
 * stderr, colours only on a TTY. For scripts (`--json`): exactly one JSON document on stdout (the
 * command's result), nothing else there; notes still go to stderr.
 */
export interface Output {
  readonly json: boolean;
  readonly style: Style;
  /** A line for people (ignored with `--json`). */
  line(text?: string): void;
  /** A table for people (ignored with `--json`). */
  table(columns: readonly Column[], rows: readonly (readonly string[])[]): void;
  /** A note on stderr (both modes): warnings, what was counted how, what to type next. */
  note(text: string): void;
  /** The command's result: printed as JSON with `--json`, ignored otherwise. */
  result(value: unknown): void;
  progress(): ProgressLine;
}

export interface OutputOptions {
  readonly json: boolean;
  readonly color: boolean;
  readonly stdout?: NodeJS.WriteStream;
  readonly stderr?: NodeJS.WriteStream;
}

export function createOutput(options: OutputOptions): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const colour =
    options.color && !options.json && stdout.isTTY === true && process.env.NO_COLOR === undefined;
  const style = createStyle(colour);
  const noteStyle = createStyle(
    options.color && stderr.isTTY === true && process.env.NO_COLOR === undefined,
  );
  return {
    json: options.json,
    style,
    line(text = "") {
      if (!options.json) stdout.write(`${text}\n`);
    },
    table(columns, rows) {
      if (!options.json) stdout.write(`${renderTable(columns, rows)}\n`);
    },
    note(text) {
      stderr.write(`${noteStyle.dim(text)}\n`);
    },
    result(value) {
      if (options.json) {
        stdout.write(
          `${JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v), 2)}\n`,
        );
      }
    },
    progress() {
      return progressLine(stderr, options.json ? "off" : stderr.isTTY === true ? "tty" : "lines");
    },
  };
}
