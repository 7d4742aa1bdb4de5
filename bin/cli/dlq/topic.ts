import { CE_HEADERS, fromKafkaRecord } from "../../../events/codecs/kafka.ts";
import { DLQ_FIELDS } from "../../../functions/kit/dead-letters.ts";
import type { IncomingRecord } from "../../../functions/kit/log/port.ts";
import { header } from "../../../functions/kit/log-query/events.ts";
import { readRanges, topicRanges } from "../../../functions/kit/log-query/reader.ts";
import { NotFoundError } from "../errors.ts";
import type { Target } from "../target/target.ts";
import type { Destination } from "./destinations.ts";
import type { DeadLetter } from "./view.ts";

/**
 * The `dead-letters` topic is append-only, so a redrive (or purge) cannot remove a record: it
 * appends a marker record naming it (`dlq_redriven_of: <partition>:<offset>`). Pending dead letters
 * are the records without a marker. The markers are the audit trail of what operators did.
 */
export const MARKER_FIELDS = {
  of: "dlq_redriven_of",
  action: "dlq_action",
  at: "dlq_action_at",
} as const;

export interface TopicLetter {
  readonly letter: DeadLetter;
  readonly record: IncomingRecord;
}

/** Reads the topic: the pending dead letters, and how many were settled by markers. */
export async function readTopicLetters(
  target: Target,
  destination: Extract<Destination, { kind: "topic" }>,
): Promise<{ pending: TopicLetter[]; settled: number }> {
  const ranges = await topicRanges(target.admin, destination.topic);
  const letters = new Map<string, TopicLetter>();
  const markers = new Set<string>();
  await readRanges({ log: target.log }, ranges, (record) => {
    const of = header(record, MARKER_FIELDS.of);
    if (of !== undefined) {
      markers.add(of);
      return;
    }
    const id = `${record.partition}:${record.offset}`;
    letters.set(id, { record, letter: viewOfRecord(target, destination, record) });
  });
  const pending = [...letters.entries()]
    .filter(([id]) => !markers.has(id))
    .map(([, l]) => l)
    .sort((a, b) => (a.letter.since ?? "").localeCompare(b.letter.since ?? ""));
  return { pending, settled: letters.size - pending.length };
}

function viewOfRecord(
  target: Target,
  destination: Extract<Destination, { kind: "topic" }>,
  record: IncomingRecord,
): DeadLetter {
  const value = record.value?.toString("utf8") ?? "";
  let body: unknown = value;
  try {
    body = JSON.parse(value);
  } catch {
    // shown as text
  }
  let decodeError: string | undefined;
  try {
    fromKafkaRecord(record);
  } catch (error) {
    decodeError = error instanceof Error ? error.message : String(error);
  }
  const sourceTopic = header(record, DLQ_FIELDS.topic);
  const aggregateType = header(record, CE_HEADERS.aggregateType);
  const aggregateId = header(record, CE_HEADERS.subject);
  const origin =
    sourceTopic === undefined
      ? ""
      : ` (from ${sourceTopic.slice(target.topicPrefix.length)} ${header(record, DLQ_FIELDS.partition) ?? "?"}:${header(record, DLQ_FIELDS.offset) ?? "?"})`;
  return {
    id: `${record.partition}:${record.offset}`,
    destination: destination.name,
    eventType: header(record, CE_HEADERS.type),
    eventId: header(record, CE_HEADERS.id),
    aggregate: aggregateType === undefined ? undefined : `${aggregateType} ${aggregateId ?? "?"}`,
    correlationId: header(record, CE_HEADERS.correlationId),
    since: header(record, DLQ_FIELDS.failedAt) ?? new Date(record.timestamp).toISOString(),
    code: header(record, DLQ_FIELDS.code),
    reason: `${header(record, DLQ_FIELDS.reason) ?? (decodeError === undefined ? "no reason recorded" : `undecodable: ${decodeError}`)}${origin}`,
    functionName: header(record, DLQ_FIELDS.functionName),
    redriveTo: sourceTopic,
    body,
  };
}

/** Fails (one line, nothing moved) when a record's original topic is gone or unknown. */
export async function assertTopicsExist(
  target: Target,
  letters: readonly TopicLetter[],
): Promise<void> {
  const existing = new Set(await target.admin.listTopics());
  for (const { letter } of letters) {
    if (letter.redriveTo === undefined) {
      throw new NotFoundError(
        `dead letter ${letter.id} does not say which topic it came from (no ${DLQ_FIELDS.topic} header); nothing was moved`,
        {
          hint:
            "exclude it with --id/--type, or purge it: duplex dlq purge dead-letters --id " +
            letter.id,
        },
      );
    }
    if (!existing.has(letter.redriveTo)) {
      throw new NotFoundError(
        `topic ${letter.redriveTo} (origin of dead letter ${letter.id}) no longer exists; nothing was moved`,
        {
          hint: "create it again (duplex topics apply), then redrive",
        },
      );
    }
  }
}

/**
 * Appends each record to its original topic again (key, value and the original headers), then a
 * marker to the dead-letters topic; with `purge`, only the marker.
 */
export async function settleTopicLetters(
  target: Target,
  destination: Extract<Destination, { kind: "topic" }>,
  letters: readonly TopicLetter[],
  action: "redrive" | "purge",
  onProgress: (done: number) => void,
): Promise<number> {
  const producer = target.log.producer();
  let done = 0;
  try {
    for (const { letter, record } of letters) {
      const key = record.key?.toString("utf8") ?? "";
      const now = new Date().toISOString();
      if (action === "redrive" && letter.redriveTo !== undefined) {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(record.headers)) {
          if (!name.startsWith("dlq_")) headers[name] = value.toString("utf8");
        }
        headers.duplex_redriven_from = `${destination.topic}:${letter.id}`;
        await producer.send([
          { topic: letter.redriveTo, key, value: record.value ?? Buffer.alloc(0), headers },
        ]);
      }
      await producer.send([
        {
          topic: destination.topic,
          key,
          value: Buffer.from(
            JSON.stringify({
              [action === "redrive" ? "redrivenOf" : "purgedOf"]: letter.id,
              to: letter.redriveTo,
              at: now,
            }),
          ),
          headers: {
            [MARKER_FIELDS.of]: letter.id,
            [MARKER_FIELDS.action]: action,
            [MARKER_FIELDS.at]: now,
          },
        },
      ]);
      done++;
      onProgress(done);
    }
  } finally {
    await producer.close();
  }
  return done;
}
