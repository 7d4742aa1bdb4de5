import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { HistoryEntry } from "../../functions/kit/history.ts";

/** What {@link readHistory} found in a history folder. */
export interface HistoryFiles {
  readonly entries: HistoryEntry[];
  /** JSONL files read (one per execution environment). */
  readonly files: number;
  /** Lines that did not parse: the cut last line of an environment killed mid-write. */
  readonly unreadable: number;
}

/**
 * Reads every `*.jsonl` file of a run's history folder (`DUPLEX_HISTORY_DIR`).
 *
 * @example
 * ```ts
 * const { entries } = readHistory(".duplex/history/demo");
 * ```
 */
export function readHistory(dir: string): HistoryFiles {
  const entries: HistoryEntry[] = [];
  let files = 0;
  let unreadable = 0;
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith(".jsonl"));
  } catch {
    names = [];
  }
  for (const name of names) {
    files++;
    for (const line of readFileSync(join(dir, name), "utf8").split("\n")) {
      if (line.trim() === "") continue;
      try {
        entries.push(JSON.parse(line) as HistoryEntry);
      } catch {
        unreadable++;
      }
    }
  }
  return { entries, files, unreadable };
}
