import { eventIdTime } from "../../../events/event-id.ts";
import { DEAD_LETTER_TOPIC, type TopicName, topicSpecs } from "../../../events/topics.ts";
import type { IncomingRecord, TopicPartitionOffsets } from "../log/port.ts";
import type { ReadModelStore } from "../read-models.ts";
import type { LogAccess } from "./access.ts";
import {
  byCorrelation,
  byEventId,
  inTimeOrder,
  type LoggedEvent,
  readEvents,
  scanEvents,
} from "./events.ts";
import {
  aggregateLifetime,
  keyPartitions,
  keyRanges,
  type LogWindow,
  narrow,
  TIME_SLACK_MS,
} from "./locate.ts";
import { rangeOf } from "./reader.ts";

/** Depth of each event in its flow's causation tree (the first command is 0). */
export function causationDepths(events: readonly LoggedEvent[]): Map<string, number> {
  const byId = new Map(events.map((e) => [e.event.eventId, e.event]));
  const depths = new Map<string, number>();
  const depth = (id: string, seen: Set<string>): number => {
    const known = depths.get(id);
    if (known !== undefined) return known;
    const event = byId.get(id);
    if (event === undefined || event.causationId === id || seen.has(id)) {
      depths.set(id, 0);
      return 0;
    }
    seen.add(id);
    const parent = byId.has(event.causationId) ? depth(event.causationId, seen) + 1 : 0;
    depths.set(id, parent);
    return parent;
  };
  for (const e of events) depth(e.event.eventId, new Set());
  return depths;
}

export type { LogWindow } from "./locate.ts";

/** How long after a finished order's last projected fact its flow may still log something. */
const FLOW_TAIL_MS = 15 * 60_000;

/** The first window of log time read when the end of a flow is not known. */
const FIRST_STEP_MS = 5 * 60_000;

/** Facts after which an order's flow only compensates (within {@link FLOW_TAIL_MS}). */
const TERMINAL_ORDER_FACTS: ReadonlySet<string> = new Set([
  "OrderCompleted",
  "OrderCancelled",
  "OrderRejected",
]);

const everyPartition = new Set([DEAD_LETTER_TOPIC]);

/** A key's partitions and the offsets of the bounds of growing windows of log time. */
interface FlowWindows {
  readonly topics: readonly string[];
  readonly partitions: (topic: string, count: number) => number[];
  /** Start of each window; the last one runs to `toMs` (or the log's end). */
  readonly bounds: readonly number[];
  readonly toMs: number;
  /** Per partition, the offsets at `bounds` (then at the window's end, when it has one). */
  readonly offsets: readonly TopicPartitionOffsets[];
}

/**
 * Windows of log time from `window.fromMs` that double (5 minutes, then twice as long each
 * time), with the offsets of all their bounds in the key's partitions, looked up at once.
 */
async function flowWindows(
  access: LogAccess,
  topics: readonly string[],
  key: string,
  window: LogWindow,
): Promise<FlowWindows> {
  const toMs = window.toMs ?? Date.now();
  const bounds = [window.fromMs ?? 0];
  for (let step = FIRST_STEP_MS; (bounds[bounds.length - 1] ?? 0) + step < toMs; step *= 2) {
    bounds.push((bounds[bounds.length - 1] ?? 0) + step);
  }
  const partitions = keyPartitions(access.topicPrefix, key, everyPartition);
  const physical = topics.map((t) => `${access.topicPrefix}${t}`);
  const timesMs = window.toMs === undefined ? bounds : [...bounds, window.toMs];
  const offsets = await access.admin.listOffsets({ topics: physical, partitions, timesMs });
  return { topics: physical, partitions, bounds, toMs, offsets };
}

/**
 * The key's partitions read window by window (consecutive windows meet at the same offsets, so
 * nothing is read twice or missed) until a terminal order fact is found, then up to 15 minutes
 * past it, or to the last window's end.
 */
async function readUntilEnded(
  access: LogAccess,
  windows: FlowWindows,
  accept: (record: IncomingRecord) => boolean,
): Promise<LoggedEvent[]> {
  const { bounds, offsets } = windows;
  // Window i: from bound i to bound i + 1; the last one to the window's end (or the log's).
  const rangesOf = (i: number, toOffset?: (p: TopicPartitionOffsets) => string) =>
    offsets.map((p) =>
      rangeOf(p, p.atTimes[i] ?? p.low, toOffset?.(p) ?? p.atTimes[i + 1] ?? p.high),
    );
  const events: LoggedEvent[] = [];
  for (let i = 0; i < bounds.length; i++) {
    const found = await readEvents(access, rangesOf(i), { accept });
    events.push(...found);
    const terminal = found.find((e) => TERMINAL_ORDER_FACTS.has(e.event.eventType));
    if (terminal === undefined || i === bounds.length - 1) continue;
    // The flow has ended: only what follows within 15 minutes of its terminal fact is left.
    const tailMs = Date.parse(terminal.event.occurredAt) + FLOW_TAIL_MS;
    const tail =
      tailMs >= windows.toMs
        ? undefined
        : await access.admin.listOffsets({
            topics: windows.topics,
            partitions: windows.partitions,
            timesMs: [tailMs],
          });
    const tailOffset = (p: TopicPartitionOffsets) =>
      tail?.find((t) => t.topic === p.topic && t.partition === p.partition)?.atTimes[0] ??
      p.atTimes[bounds.length] ??
      p.high;
    events.push(...(await readEvents(access, rangesOf(i + 1, tailOffset), { accept })));
    break;
  }
  return events.sort(inTimeOrder);
}

export interface FlowOptions {
  /** The read models, to end the read at a finished order's last fact (+15 min). */
  readonly readModels?: ReadModelStore | undefined;
  /** Read up to the window's end even when the read models say the order ended. */
  readonly full?: boolean | undefined;
}

/**
 * Every event of one flow (one correlation id) across all topics — commands, facts and dead
 * letters — in time order. `duplex trace`, the query API's `/flows/{id}` and the console all call
 * this. The window bounds the scan by log time; a flow outside it is not found.
 *
 * It reads where the flow can be: its first command's time is in its id (UUIDv7), so a few
 * seconds of the command topics find it; its key (the aggregate id every event of the flow is
 * keyed by) gives one partition per topic (murmur2, as the producers partition); the order
 * summary says when a finished order's last fact happened. Where the read models do not know
 * (a log not projected yet, a flow still running), the key's partitions are read in growing
 * windows of log time (5 minutes, then twice as long each time) until the order's terminal fact
 * shows up, then 15 minutes past it: the cost follows the flow's length, not the log's. Without
 * those (an id that is not a UUIDv7, a first command outside the window), every partition of the
 * window is read.
 *
 * @example
 * ```ts
 * const events = await flowTimeline(target, command.correlationId, { fromMs: Date.now() - 86_400_000 });
 * events[0]?.event.eventType; // "PlaceOrderRequested"
 * ```
 */
export async function flowTimeline(
  access: LogAccess,
  correlationId: string,
  window: LogWindow = {},
  options: FlowOptions = {},
): Promise<LoggedEvent[]> {
  const topics = Object.keys(topicSpecs);
  const accept = byCorrelation(correlationId);
  const startMs = /^[0-9a-f]{8}-[0-9a-f]{4}-7/.test(correlationId)
    ? eventIdTime(correlationId)
    : undefined;
  if (startMs !== undefined) {
    const commandTopics = topics.filter((t) => topicSpecs[t as TopicName].kind === "commands");
    const { events: found } = await scanEvents(access, commandTopics, {
      fromMs: startMs - TIME_SLACK_MS,
      toMs: startMs + TIME_SLACK_MS,
      accept: byEventId(correlationId),
    });
    const first = found[0];
    if (first !== undefined) {
      const key = first.event.aggregateId;
      const openWindow = narrow(window, { fromMs: startMs - TIME_SLACK_MS });
      if (options.full) {
        return readEvents(
          access,
          await keyRanges(access, topics, key, openWindow, everyPartition),
          {
            accept,
          },
        );
      }
      // The read models and the offsets of the windows are asked at once: one wait, not two.
      const [life, windows] = await Promise.all([
        aggregateLifetime(options.readModels, first.event.aggregateType, key),
        flowWindows(access, topics, key, openWindow),
      ]);
      if (life.endedMs !== undefined) {
        const flowWindow = narrow(openWindow, { toMs: life.endedMs + FLOW_TAIL_MS });
        const ranges = await keyRanges(access, topics, key, flowWindow, everyPartition);
        return readEvents(access, ranges, { accept });
      }
      return readUntilEnded(access, windows, accept);
    }
  }
  const { events } = await scanEvents(access, topics, { ...window, accept });
  return events;
}
