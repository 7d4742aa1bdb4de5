import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import type { LogDelivery, MskEventRecord } from "../../events/codecs/lambda.ts";
import { fromMskRecord } from "../../events/codecs/lambda.ts";
import { EventError } from "../../events/errors.ts";
import type { AnyEvent, EventTypeName } from "../../events/types.ts";
import type { FunctionDeclaration } from "./declarations.ts";
import { errorCode } from "./errors.ts";
import { faultSwitch } from "./faults.ts";
import type { EffectOutcome } from "./history.ts";
import { history, historyNow, recordedOutcome, withEffectScope } from "./history.ts";
import type { KafkaBatchResponse, MskBatchEvent } from "./log-batch.ts";
import { processKafkaBatch } from "./log-batch.ts";
import { eventLogKeys, MetricUnit } from "./observability.ts";
import type { Runtime } from "./runtime.ts";
import { createRuntime } from "./runtime.ts";

export interface LogHandlerOptions {
  readonly declaration: FunctionDeclaration;
  /** Types this function acts on; other types on its topics are skipped (and committed). */
  readonly eventTypes: ReadonlySet<EventTypeName> | "all";
  readonly handle: (event: AnyEvent, position: LogDelivery, runtime: Runtime) => Promise<void>;
  /**
   * Called once per invocation, before any record is handled, with the events of the batch this
   * function acts on (decoded, in batch order): to read in one request what handling each event
   * would read alone. What it learns is for this invocation only (an execution environment serves
   * one invocation at a time). A failure fails the whole batch, which is retried.
   */
  readonly prepare?: (events: readonly AnyEvent[], runtime: Runtime) => Promise<void>;
}

/**
 * A Lambda handler for log records (MSK event source mapping). Per partition, in order: decode
 * (upcasting old versions) → a record that cannot be decoded goes straight to the `dead-letters`
 * topic with the reason and is counted as done → types the function does not handle are skipped
 * → the rest go to `handle`. A failure stops its partition and is reported as a batch item
 * failure, so Lambda retries from there (then bisects, then sends to the on-failure destination).
 *
 * @example
 * ```ts
 * export const handler = logHandler({ declaration, eventTypes: new Set(["OrderPlaced"]),
 *   handle: async (event) => { ... } });
 * ```
 */
export function logHandler(options: LogHandlerOptions) {
  const { declaration } = options;
  const runtime = createRuntime(declaration);
  const { logger, metrics } = runtime;
  const injectFault = faultSwitch(declaration.name);
  const recorder = history();

  /** What became of one record; counted per invocation, so metrics get one value per batch. */
  type Outcome = "processed" | "skipped" | "dead-lettered";

  const recordEffect = (
    record: MskEventRecord,
    event: { eventId: string; eventType: string; aggregateId: string } | undefined,
    outcome: EffectOutcome,
    error?: unknown,
  ) => {
    if (!recorder.enabled) return;
    recorder.record({
      k: "effect",
      at: historyNow(),
      src: declaration.name,
      via: "log",
      id: event?.eventId ?? "",
      type: event?.eventType ?? "",
      key: event?.aggregateId ?? "",
      topic: record.topic,
      partition: record.partition,
      offset: String(record.offset),
      outcome,
      ...(error === undefined
        ? {}
        : { error: error instanceof Error ? error.message : String(error) }),
    });
  };

  /** Each record decoded once per invocation: by `prepare`'s pass, or when it is handled. */
  let decoded = new Map<MskEventRecord, LogDelivery | EventError>();
  const decode = (record: MskEventRecord): LogDelivery | EventError => {
    const known = decoded.get(record);
    if (known !== undefined) return known;
    try {
      return fromMskRecord(record);
    } catch (error) {
      if (error instanceof EventError) return error;
      throw error;
    }
  };

  const handleRecord = async (record: MskEventRecord): Promise<Outcome> => {
    const delivery = decode(record);
    if (delivery instanceof EventError) {
      await runtime.logDeadLetters().send([{ record, error: delivery }]);
      recordEffect(record, undefined, "dead-lettered", delivery);
      logger.error("log record sent to the dead-letter topic", {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        code: errorCode(delivery),
        reason: delivery.message,
      });
      return "dead-lettered";
    }
    const { event } = delivery;
    if (options.eventTypes !== "all" && !options.eventTypes.has(event.eventType)) {
      recordEffect(record, event, "ignored");
      return "skipped";
    }
    const scoped = await withEffectScope(async () => {
      await injectFault(event);
      await options.handle(event, delivery, runtime);
    });
    recordEffect(record, event, recordedOutcome(scoped), scoped.error);
    if (scoped.failed) {
      logger.warn("event handling failed", {
        ...eventLogKeys(event),
        error: scoped.error instanceof Error ? scoped.error.message : String(scoped.error),
      });
      throw scoped.error;
    }
    return "processed";
  };

  const prepare = async (event: MskBatchEvent): Promise<void> => {
    decoded = new Map();
    if (options.prepare === undefined) return;
    const events: AnyEvent[] = [];
    for (const records of Object.values(event.records)) {
      for (const record of records) {
        const delivery = decode(record);
        decoded.set(record, delivery);
        if (delivery instanceof EventError) continue;
        if (options.eventTypes === "all" || options.eventTypes.has(delivery.event.eventType)) {
          events.push(delivery.event);
        }
      }
    }
    if (events.length > 0) await options.prepare(events, runtime);
  };

  return middy(async (event: MskBatchEvent, _context: Context): Promise<KafkaBatchResponse> => {
    await prepare(event);
    const counts: Record<Outcome, number> = { processed: 0, skipped: 0, "dead-lettered": 0 };
    const count = async (record: MskEventRecord) => {
      counts[await handleRecord(record)]++;
    };
    const response = await processKafkaBatch(event, count, (record, error) =>
      logger.warn("record failed; it and the rest of its partition will be retried", {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        error: error instanceof Error ? error.message : String(error),
      }),
    ).finally(() => recorder.flush());
    if (counts.processed > 0)
      metrics.addMetric("EventsProcessed", MetricUnit.Count, counts.processed);
    if (counts["dead-lettered"] > 0) {
      metrics.addMetric("DeadLettered", MetricUnit.Count, counts["dead-lettered"]);
    }
    if (response.batchItemFailures.length > 0) {
      metrics.addMetric("RecordsFailed", MetricUnit.Count, response.batchItemFailures.length);
    }
    return response;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}
