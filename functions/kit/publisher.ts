import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { toEventBridgeEntry } from "../../events/codecs/eventbridge.ts";
import { toKafkaRecord } from "../../events/codecs/kafka.ts";
import { isCriticalCommand } from "../../events/define.ts";
import type { EventEnvelope } from "../../events/envelope.ts";
import { decodeEvent } from "../../events/registry.ts";
import { isValidatedEvent } from "../../events/validated.ts";
import type { BackoffOptions } from "./backoff.ts";
import { backoffDelay, sleep } from "./backoff.ts";
import type { FastLane, FastLaneResult } from "./fast-lane.ts";
import type { History } from "./history.ts";
import { history, historyNow } from "./history.ts";
import {
  LogAcknowledgementTimeoutError,
  LogPublishError,
  PublishRefusedError,
} from "./log/errors.ts";
import type { LogPosition, LogProducer, OutgoingRecord } from "./log/port.ts";
import { publishRetryBudgetSeconds } from "./settings.ts";

/** What `publish` did. */
export interface PublishResult {
  /** Ids written to the log (every event). */
  readonly logged: readonly string[];
  /** Where the log put each event, in the order of `logged`. */
  readonly positions: readonly LogPosition[];
  /** Critical commands put on the fast lane. */
  readonly fastLane: FastLaneResult;
}

/**
 * How long the publisher keeps trying to get the log's acknowledgement before it refuses: the
 * whole call (every attempt and the waits between them) stays within `budgetMs`; waits grow
 * exponentially with full jitter from `baseDelayMs` up to `maxDelayMs`.
 */
export interface PublishRetryOptions extends BackoffOptions {
  readonly budgetMs: number;
}

export interface PublisherOptions {
  readonly log: LogProducer;
  readonly fastLane: FastLane;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Placeholder bus name used only to size-check entries before anything is written. */
  readonly eventBusName?: string;
  /**
   * The log write's retry budget.
   * @default `{ budgetMs: DUPLEX_PUBLISH_RETRY_BUDGET_SECONDS × 1000 (10 s), baseDelayMs: 100, maxDelayMs: 2000 }`
   */
  readonly retry?: Partial<PublishRetryOptions>;
  /** Who publishes, as the run history names it (a function name, `driver`...). @default "publisher" */
  readonly source?: string;
  /** Where publish outcomes are recorded. @default this environment's {@link history} */
  readonly history?: History;
}

/**
 * Log-first double publish.
 *
 * 1. Every event is validated against the catalog (once: envelopes from `createEvent` or
 *    `decodeEvent` already were) and encoded for each lane it travels on (size limits included)
 *    before anything is written: a bad event fails the call, naming it,
 *    and nothing is published.
 * 2. All events go to the log (acks=all, idempotent producer, keyed by aggregate id). A send that
 *    fails is tried again, with exponential backoff and full jitter, for as long as the retry
 *    budget lasts (`DUPLEX_PUBLISH_RETRY_BUDGET_SECONDS`, 10 s by default); a send still unanswered
 *    when the budget runs out counts as failed. Then the call is refused with a
 *    {@link PublishRefusedError} (a `LogPublishError`), and **nothing goes to the fast lane**.
 * 3. Only once the log acknowledged are critical commands put on the bus. Entries the fast lane
 *    still refuses after its retries are reported in the result (and counted as
 *    `FastLaneDeferred`), not thrown: the command is durable in the log, and the fast-lane
 *    reconciler delivers it within its deadline.
 *
 * Each call's outcome (acknowledged with partition and offset per event, or refused) and what the
 * fast lane did are recorded in the run history when it is on (`functions/kit/history.ts`).
 *
 * @example
 * ```ts
 * const publisher = new Publisher({ log: producer, fastLane });
 * await publisher.publish([createEvent("PlaceOrderRequested", data)]);
 * ```
 */
export class Publisher {
  readonly #options: PublisherOptions;
  readonly #retry: PublishRetryOptions;
  readonly #history: History;
  readonly #source: string;

  constructor(options: PublisherOptions) {
    this.#options = options;
    this.#retry = {
      budgetMs: publishRetryBudgetSeconds() * 1000,
      baseDelayMs: 100,
      maxDelayMs: 2_000,
      ...options.retry,
    };
    this.#history = options.history ?? history();
    this.#source = options.source ?? "publisher";
  }

  async publish(events: readonly EventEnvelope[]): Promise<PublishResult> {
    if (events.length === 0) {
      return { logged: [], positions: [], fastLane: { delivered: [], failed: [] } };
    }
    const busName = this.#options.eventBusName ?? "duplex";
    // Envelopes from `createEvent`/`decodeEvent` are valid already; validate only the others.
    const valid = events.map((event) => (isValidatedEvent(event) ? event : decodeEvent(event)));
    const records = valid.map((event) => toKafkaRecord(event));
    const critical = valid.filter((event) => isCriticalCommand(event.eventType));
    for (const command of critical) toEventBridgeEntry(command, busName);

    const positions = await this.#writeToLog(valid, records);
    this.#options.metrics?.addMetric("EventsLogged", MetricUnit.Count, valid.length);

    const fastLane =
      critical.length === 0
        ? { delivered: [], failed: [] }
        : await this.#options.fastLane.send(critical);
    if (critical.length > 0 && this.#history.enabled) {
      this.#history.record({
        k: "fast-lane",
        at: historyNow(),
        src: this.#source,
        delivered: fastLane.delivered,
        failed: fastLane.failed.map((f) => f.eventId),
      });
    }
    if (fastLane.failed.length > 0) {
      this.#options.metrics?.addMetric(
        "FastLaneDeferred",
        MetricUnit.Count,
        fastLane.failed.length,
      );
      this.#options.logger?.warn("fast lane refused commands; the reconciler will deliver them", {
        failures: fastLane.failed,
      });
    }
    if (fastLane.delivered.length > 0) {
      this.#options.metrics?.addMetric(
        "FastLaneDelivered",
        MetricUnit.Count,
        fastLane.delivered.length,
      );
    }
    return { logged: valid.map((e) => e.eventId), positions, fastLane };
  }

  /** Sends until the log acknowledges or the retry budget is spent (then refuses). */
  async #writeToLog(
    events: readonly EventEnvelope[],
    records: readonly OutgoingRecord[],
  ): Promise<readonly LogPosition[]> {
    const started = historyNow();
    const { budgetMs } = this.#retry;
    let attempts = 0;
    let lastError: unknown;
    for (;;) {
      attempts++;
      const left = budgetMs - (historyNow() - started);
      try {
        const positions = await withinMs(this.#options.log.send(records), Math.max(1, left));
        this.#recordPublish(events, records, started, attempts, { positions });
        if (attempts > 1) {
          this.#options.metrics?.addMetric("LogPublishRetried", MetricUnit.Count, attempts - 1);
        }
        return positions;
      } catch (error) {
        if (!(error instanceof LogPublishError || error instanceof LogAcknowledgementTimeoutError))
          throw error;
        lastError = error instanceof LogPublishError ? (error.cause ?? error) : error;
        // An unanswered send: the client may have lost track of it (and hold later sends behind
        // it), so the next attempt starts with fresh connections.
        if (error instanceof LogAcknowledgementTimeoutError) {
          await this.#options.log.reset?.().catch(() => undefined);
        }
      }
      const delay = backoffDelay(attempts, this.#retry);
      const elapsed = historyNow() - started;
      if (elapsed + delay >= budgetMs) break;
      this.#options.logger?.warn("the log did not acknowledge; trying again", {
        attempt: attempts,
        retryInMs: delay,
        error: lastError instanceof Error ? lastError.message : String(lastError),
      });
      await sleep(delay);
    }
    const refusal = new PublishRefusedError({
      topics: [...new Set(records.map((r) => r.topic))],
      eventIds: events.map((e) => e.eventId),
      attempts,
      elapsedMs: Math.round(historyNow() - started),
      budgetMs,
      cause: lastError,
    });
    this.#recordPublish(events, records, started, attempts, { error: refusal.message });
    this.#options.metrics?.addMetric("LogPublishRefused", MetricUnit.Count, events.length);
    this.#options.logger?.error("the log refused events; nothing went to the fast lane", {
      eventIds: refusal.eventIds,
      attempts,
      elapsedMs: refusal.elapsedMs,
    });
    throw refusal;
  }

  #recordPublish(
    events: readonly EventEnvelope[],
    records: readonly OutgoingRecord[],
    started: number,
    attempts: number,
    outcome: { positions: readonly LogPosition[] } | { error: string },
  ): void {
    if (!this.#history.enabled) return;
    const now = historyNow();
    this.#history.record({
      k: "publish",
      at: now,
      src: this.#source,
      ids: events.map((e) => e.eventId),
      types: events.map((e) => e.eventType),
      keys: records.map((r) => r.key),
      attempts,
      ms: Math.round(now - started),
      ...("positions" in outcome
        ? {
            outcome: "acknowledged" as const,
            topics: outcome.positions.map((p) => p.topic),
            positions: outcome.positions.map((p) => [p.partition, p.offset] as const),
          }
        : { outcome: "refused" as const, error: outcome.error }),
    });
  }
}

/** `work`, or a {@link LogAcknowledgementTimeoutError} after `ms` (the send keeps going). */
function withinMs<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LogAcknowledgementTimeoutError(Math.round(ms))), ms);
  });
  // A send that outlives the budget may still fail later: nobody awaits it then.
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
