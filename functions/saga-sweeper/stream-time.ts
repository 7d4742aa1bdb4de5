import type { StreamTime } from "../domain/saga-deadlines.ts";
import { dynamoDocumentClient } from "../kit/aws.ts";
import { consumerGroupFor } from "../kit/declarations.ts";
import { tableOf } from "../kit/env.ts";
import type { InputProgress } from "../kit/input-progress.ts";
import { InputProgressStore, longestStallMs, trackProgress } from "../kit/input-progress.ts";
import { physicalTopic } from "../kit/log/namespace.ts";
import type { LogAdmin } from "../kit/log/port.ts";
import type { Runtime } from "../kit/runtime.ts";
import type { ConsumerInput } from "../kit/watermark.ts";
import { probeLadder, readPositions, watermarks } from "../kit/watermark.ts";
import { sagaTrigger } from "../order-saga/function.ts";

/**
 * How far behind the wall clock a record's log timestamp may be compared with the sweep's clock:
 * topics stamp records with the broker's clock (LogAppendTime), the sweep reads its own. Amazon
 * Time Sync keeps both well within this; locally they are the same clock.
 */
export const CLOCK_SKEW_MS = 1_000;

/** The sagas-table item where the sweep keeps its inputs' progress across runs. */
export const INPUT_PROGRESS_KEY = "SagaSweeper#inputs";

/** What one measurement of the saga's stream time found. */
export interface SagaStreamTime {
  readonly stream: StreamTime;
  /**
   * Seconds the watermark trails the wall clock (to within a factor of two); not measured when no
   * deadline is due.
   */
  readonly lagSeconds: number | undefined;
  /** How long the longest-stalled input has been stalled, ms (0 when none is). */
  readonly longestStallMs: number;
}

/** The saga's inputs: each topic of its trigger with its consumer group, in this namespace. */
export function sagaInputs(topicPrefix: string): ConsumerInput[] {
  return sagaTrigger.topics.map((topic) => ({
    topic,
    physicalTopic: physicalTopic(topicPrefix, topic),
    groupId: `${topicPrefix}${consumerGroupFor(sagaTrigger, topic)}`,
  }));
}

/**
 * Measures the saga's stream time for one sweep: where its consumer groups stand, which inputs
 * are stalled (progress kept in the sagas table), and the watermark probed at the given deadlines
 * and on a ladder below `now`. A handful of admin calls per sweep, none per saga.
 *
 * @example
 * ```ts
 * const { stream } = await measureStreamTime(runtime, admin, now, dueDeadlines, graceMs);
 * judgeDeadline(saga, stream, graceMs);
 * ```
 */
export async function measureStreamTime(
  runtime: Runtime,
  admin: LogAdmin,
  now: Date,
  deadlines: readonly number[],
  graceMs: number,
): Promise<SagaStreamTime> {
  const positions = await readPositions(admin, sagaInputs(runtime.config.topicPrefix));
  const store = new InputProgressStore(
    dynamoDocumentClient(),
    tableOf(runtime.config, "sagas"),
    INPUT_PROGRESS_KEY,
  );
  const previous: InputProgress = await store.load();
  const { progress, stalled, changed } = trackProgress(previous, positions, now, graceMs);
  if (changed) await store.save(progress, now);

  const latest = now.getTime() - CLOCK_SKEW_MS;
  const longest = longestStallMs(progress, stalled, now);
  if (deadlines.length === 0) {
    // Nothing to judge: the watermark is not worth its admin calls.
    const unknown = new Date(0);
    return {
      stream: { now, watermark: unknown, stalledInputs: stalled, watermarkOfLiveInputs: unknown },
      lagSeconds: undefined,
      longestStallMs: longest,
    };
  }
  const ladder = probeLadder(latest);
  const probes = [...deadlines.filter((d) => d <= latest), ...ladder, latest];
  const marks = await watermarks(admin, positions, new Set(stalled), probes);
  const floor = Math.min(...ladder);
  return {
    stream: {
      now,
      watermark: new Date(marks.all),
      stalledInputs: stalled,
      watermarkOfLiveInputs: new Date(marks.live),
    },
    lagSeconds: Math.round((now.getTime() - Math.max(marks.all, floor)) / 1000),
    longestStallMs: longest,
  };
}
