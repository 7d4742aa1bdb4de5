import { UsageError } from "../errors.ts";

/** One dead letter, whatever destination it sits in, in the CLI's readable terms. */
export interface DeadLetter {
  /** SQS message id, or `<partition>:<offset>` in the dead-letters topic. */
  readonly id: string;
  readonly destination: string;
  readonly eventType?: string | undefined;
  readonly eventId?: string | undefined;
  readonly aggregate?: string | undefined;
  readonly correlationId?: string | undefined;
  readonly replayName?: string | undefined;
  /** When it failed (recorded by the runtime), or when it was sent to its queue. */
  readonly since?: string | undefined;
  readonly code?: string | undefined;
  readonly reason: string;
  readonly functionName?: string | undefined;
  readonly receiveCount?: number | undefined;
  /** Where a redrive sends it: a queue URL or a topic. */
  readonly redriveTo: string | undefined;
  /** The payload, parsed when it is JSON. */
  readonly body: unknown;
}

/** Which dead letters an operator means: by type, by id (event, aggregate, message), by age. */
export interface DeadLetterFilter {
  readonly types?: readonly string[] | undefined;
  readonly ids?: readonly string[] | undefined;
  readonly since?: Date | undefined;
}

export function parseFilter(options: {
  type?: string | undefined;
  id?: string | undefined;
  since?: Date | undefined;
}): DeadLetterFilter {
  const list = (text: string | undefined) =>
    text === undefined
      ? undefined
      : text
          .split(",")
          .map((t) => t.trim())
          .filter((t) => t !== "");
  const types = list(options.type);
  if (types !== undefined && types.length === 0) throw new UsageError("--type is empty");
  return { types, ids: list(options.id), since: options.since };
}

/** Whether a dead letter matches the filter (every given criterion must hold). */
export function matches(letter: DeadLetter, filter: DeadLetterFilter): boolean {
  if (filter.types !== undefined && !filter.types.includes(letter.eventType ?? "")) return false;
  if (filter.ids !== undefined) {
    const ids = [letter.id, letter.eventId, letter.aggregate?.split(" ")[1], letter.correlationId];
    if (!filter.ids.some((id) => ids.includes(id))) return false;
  }
  if (filter.since !== undefined) {
    const at = letter.since === undefined ? Number.NaN : Date.parse(letter.since);
    if (Number.isNaN(at) || at < filter.since.getTime()) return false;
  }
  return true;
}

export function describeFilter(filter: DeadLetterFilter): string {
  const parts: string[] = [];
  if (filter.types) parts.push(`type ${filter.types.join("|")}`);
  if (filter.ids) parts.push(`id ${filter.ids.join("|")}`);
  if (filter.since) parts.push(`since ${filter.since.toISOString()}`);
  return parts.length === 0 ? "all" : parts.join(", ");
}
