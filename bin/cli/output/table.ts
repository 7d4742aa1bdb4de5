import { stripAnsi } from "./style.ts";

/** A column of a table: header, and `right` for numbers. */
export interface Column {
  readonly header: string;
  readonly right?: boolean;
  /** Longest cell text before it is cut with `…` (default: no limit). */
  readonly max?: number;
}

function cut(text: string, max: number | undefined): string {
  if (max === undefined) return text;
  const plain = stripAnsi(text);
  return plain.length <= max ? text : `${plain.slice(0, Math.max(1, max - 1))}…`;
}

/**
 * Renders rows as an aligned text table (two spaces between columns, no borders), for people.
 * Cells may contain colour escapes; widths ignore them.
 *
 * @example
 * ```ts
 * renderTable([{ header: "group" }, { header: "lag", right: true }], [["a", "12"], ["bb", "3"]]);
 * // group  lag
 * // a       12
 * // bb       3
 * ```
 */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]) {
  const cells = [
    columns.map((c) => c.header),
    ...rows.map((row) => columns.map((c, i) => cut(row[i] ?? "", c.max))),
  ];
  const widths = columns.map((_, i) =>
    Math.max(...cells.map((row) => stripAnsi(row[i] ?? "").length)),
  );
  return cells
    .map((row) =>
      row
        .map((cell, i) => {
          const pad = " ".repeat(Math.max(0, (widths[i] ?? 0) - stripAnsi(cell).length));
          return columns[i]?.right
            ? `${pad}${cell}`
            : i === row.length - 1
              ? cell
              : `${cell}${pad}`;
        })
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
