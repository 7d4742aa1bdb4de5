import { CE_HEADERS } from "../../events/codecs/kafka.ts";
import { DEAD_LETTER_TOPIC, type TopicName, topicSpecs } from "../../events/topics.ts";
import { readRanges, topicRanges } from "../../functions/kit/log-query/reader.ts";
import { functionDeclarations } from "../../functions/registry.ts";
import type { LocalSession } from "../host/session.ts";
import type { HistoryCheckOptions, HistoryReport, LoggedRecord, Subscriptions } from "./check.ts";
import { checkHistory } from "./check.ts";
import { readHistory } from "./read.ts";

/** A checked run history, with what it took to check. */
export interface HistoryVerification {
  readonly report: HistoryReport;
  /** History files read (one per execution environment) and lines that did not parse. */
  readonly files: number;
  readonly unreadable: number;
  readonly entries: number;
  /** Records read back from the log. */
  readonly logRecords: number;
  readonly elapsedMs: number;
}

/** The functions of the session's host that must consume each topic and command. */
export function subscriptionsOf(session: LocalSession): Subscriptions {
  const topics = new Map<string, string[]>();
  for (const consumer of session.host?.consumers() ?? []) {
    topics.set(consumer.topic, [...(topics.get(consumer.topic) ?? []), consumer.functionName]);
  }
  const running = new Set(session.host?.functions.keys() ?? []);
  const commands = new Map<string, string>();
  for (const declaration of functionDeclarations) {
    if (declaration.trigger.kind !== "fast-lane" || !running.has(declaration.name)) continue;
    for (const command of declaration.trigger.commands) commands.set(command, declaration.name);
  }
  return { topics, commands };
}

/** Every event record of the session's topics, read back from offset 0 (directly, not via a proxy). */
export async function readLoggedRecords(session: LocalSession): Promise<LoggedRecord[]> {
  const topics = (Object.keys(topicSpecs) as TopicName[])
    .filter((t) => t !== DEAD_LETTER_TOPIC)
    .map((t) => session.topic(t));
  const logged: LoggedRecord[] = [];
  // Everything written so far: each partition from its start to the end it has now, read with
  // the log's group-less reader (no consumer group to join and delete afterwards).
  const ranges = (
    await Promise.all(topics.map((topic) => topicRanges(session.admin, topic)))
  ).flat();
  await readRanges({ log: session.log, timeoutMs: 300_000 }, ranges, (record) => {
    const header = (name: string) => record.headers[name]?.toString("utf8") ?? "";
    logged.push({
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      id: header(CE_HEADERS.id),
      type: header(CE_HEADERS.type),
      key: record.key?.toString("utf8") ?? "",
    });
  });
  return logged;
}

/**
 * Checks the run history recorded in `dir` against the session's log (call it once the run has
 * settled: every consumer caught up, or, for a run stopped early, every writer stopped).
 *
 * @example
 * ```ts
 * const { report } = await verifyHistory(session, historyDir);
 * console.log(`acknowledged ${report.acknowledged}, lost ${report.lost}`);
 * ```
 */
export async function verifyHistory(
  session: LocalSession,
  dir: string,
  options: HistoryCheckOptions = {},
): Promise<HistoryVerification> {
  const started = Date.now();
  await Promise.all([session.history.flush(), session.host?.flushHistory()]);
  const logged = await readLoggedRecords(session);
  const { entries, files, unreadable } = readHistory(dir);
  const report = checkHistory(entries, logged, subscriptionsOf(session), options);
  return {
    report,
    files,
    unreadable,
    entries: entries.length,
    logRecords: logged.length,
    elapsedMs: Date.now() - started,
  };
}

/** The one-line verdict (the drills print it; `npm start` adds it to its summary). */
export function historyLine(report: HistoryReport): string {
  const unconsumed =
    report.unconsumedWhenStopped > 0
      ? `, not consumed yet when the run stopped ${report.unconsumedWhenStopped}`
      : "";
  return `acknowledged ${report.acknowledged}, refused ${report.refused}, lost ${report.lost}, duplicate effects ${report.duplicateEffects}${unconsumed}`;
}
