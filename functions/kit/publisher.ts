import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { toEventBridgeEntry } from "../../events/codecs/eventbridge.ts";
import { toKafkaRecord } from "../../events/codecs/kafka.ts";
import { isCriticalCommand } from "../../events/define.ts";
import type { EventEnvelope } from "../../events/envelope.ts";
import { decodeEvent } from "../../events/registry.ts";
import { isValidatedEvent } from "../../events/validated.ts";
import type { FastLane, FastLaneResult } from "./fast-lane.ts";
import type { LogProducer } from "./log/port.ts";

/** What `publish` did. */
export interface PublishResult {
  /** Ids written to the log (every event). */
  readonly logged: readonly string[];
  /** Critical commands put on the fast lane. */
  readonly fastLane: FastLaneResult;
}

export interface PublisherOptions {
  readonly log: LogProducer;
  readonly fastLane: FastLane;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Placeholder bus name used only to size-check entries before anything is written. */
  readonly eventBusName?: string;
}

/**
 * Log-first double publish.
 *
 * 1. Every event is validated against the catalog (once: envelopes from `createEvent` or
 *    `decodeEvent` already were) and encoded for each lane it travels on (size limits included)
 *    before anything is written: a bad event fails the call, naming it,
 *    and nothing is published.
 * 2. All events go to the log (acks=all, idempotent producer, keyed by aggregate id). If the log
 *    does not acknowledge, the call fails and nothing goes to the fast lane.
 * 3. Only then are critical commands put on the bus. Entries the fast lane still refuses after its
 *    retries are reported in the result (and counted as `FastLaneDeferred`), not thrown: the
 *    command is durable in the log, and the fast-lane reconciler delivers it within its deadline.
 *
 * @example
 * ```ts
 * const publisher = new Publisher({ log: producer, fastLane });
 * await publisher.publish([createEvent("PlaceOrderRequested", data)]);
 * ```
 */
export class Publisher {
  readonly #options: PublisherOptions;

  constructor(options: PublisherOptions) {
    this.#options = options;
  }

  async publish(events: readonly EventEnvelope[]): Promise<PublishResult> {
    if (events.length === 0) return { logged: [], fastLane: { delivered: [], failed: [] } };
    const busName = this.#options.eventBusName ?? "duplex";
    // Envelopes from `createEvent`/`decodeEvent` are valid already; validate only the others.
    const valid = events.map((event) => (isValidatedEvent(event) ? event : decodeEvent(event)));
    const records = valid.map((event) => toKafkaRecord(event));
    const critical = valid.filter((event) => isCriticalCommand(event.eventType));
    for (const command of critical) toEventBridgeEntry(command, busName);

    await this.#options.log.send(records);
    this.#options.metrics?.addMetric("EventsLogged", MetricUnit.Count, valid.length);

    const fastLane =
      critical.length === 0
        ? { delivered: [], failed: [] }
        : await this.#options.fastLane.send(critical);
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
    return { logged: valid.map((e) => e.eventId), fastLane };
  }
}
