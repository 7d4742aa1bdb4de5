import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The project's Markdown (README.md, docs/*.md) stays readable on a fresh clone: every relative
 * link resolves to a file of this repository (and its `#anchor` to a heading there), and every
 * table row has as many cells as its header (a `|` inside a cell breaks the row).
 */

const root = fileURLToPath(new URL("../..", import.meta.url));
const pages = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, "")
    .replace(/[^\p{L}\p{N} -]/gu, "")
    .replace(/ /g, "-");
}

function anchorsOf(page: string): Set<string> {
  const text = readFileSync(page, "utf8");
  return new Set(
    [...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] ?? "")).filter((s) => s !== ""),
  );
}

/** Markdown outside fenced code blocks. */
function unfenced(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, "");
}

/** Markdown outside code: fenced blocks dropped, inline code spans blanked. */
function prose(text: string): string {
  return unfenced(text)
    .split("\n")
    .map((line) => line.replace(/`[^`]*`/g, (span) => " ".repeat(span.length)))
    .join("\n");
}

describe("project docs", () => {
  it.each(pages)("%s: relative links point to files and headings of this repository", (page) => {
    const path = join(root, page);
    const broken: string[] = [];
    for (const match of prose(readFileSync(path, "utf8")).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1] ?? "";
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, ...
      const [file = "", anchor] = target.split("#");
      const resolved = file === "" ? path : resolve(dirname(path), file);
      if (relative(root, resolved).startsWith("..")) {
        broken.push(`${target} (outside the repository)`);
      } else if (!existsSync(resolved)) {
        broken.push(`${target} (no such file)`);
      } else if (anchor !== undefined && resolved.endsWith(".md")) {
        if (!anchorsOf(resolved).has(anchor)) broken.push(`${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it.each(pages)("%s: every table row has its header's number of cells", (page) => {
    // Code spans are kept: a table splits a row at every unescaped `|`, inside code too.
    const lines = unfenced(readFileSync(join(root, page), "utf8")).split("\n");
    const cells = (line: string) => line.replace(/\\\|/g, "").split("|").length;
    const broken: string[] = [];
    let columns: number | undefined;
    lines.forEach((line, index) => {
      if (!line.startsWith("|")) {
        columns = undefined;
        return;
      }
      columns ??= cells(line);
      if (cells(line) !== columns) broken.push(`line ${index + 1}: ${line.slice(0, 60)}…`);
    });
    expect(broken).toEqual([]);
  });
});
