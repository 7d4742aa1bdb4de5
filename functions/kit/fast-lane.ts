import type { EventBridgeClient, PutEventsResultEntry } from "@aws-sdk/client-eventbridge";
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { toEventBridgeEntry } from "../../events/codecs/eventbridge.ts";
import type { EventEnvelope } from "../../events/envelope.ts";
import { PUT_EVENTS_MAX_ENTRIES } from "../../events/limits.ts";
import type { BackoffOptions } from "./backoff.ts";
import { backoffDelay, sleep } from "./backoff.ts";

/** What became of each command sent on the fast lane. */
export interface FastLaneResult {
  readonly delivered: readonly string[];
  readonly failed: readonly { eventId: string; errorCode: string; errorMessage: string }[];
}

/** Puts critical commands on the fast lane. */
export interface FastLane {
  send(commands: readonly EventEnvelope[]): Promise<FastLaneResult>;
}

export interface EventBridgeFastLaneOptions extends BackoffOptions {
  /** Attempts per entry, the first included. */
  readonly maxAttempts: number;
  /**
   * Drill switch: the share of entries, per attempt, sent with a Detail the service refuses, so
   * PutEvents answers 200 with those entries failed (`DUPLEX_FAULT_PUT_EVENTS_FAIL_SHARE`).
   * @default 0
   */
  readonly spoilShare: number;
}

const defaults: EventBridgeFastLaneOptions = {
  maxAttempts: 5,
  baseDelayMs: 50,
  maxDelayMs: 2_000,
  spoilShare: 0,
};

/**
 * PutEvents in batches of up to 10 entries. A 200 response does not mean every entry was taken:
 * each result entry is checked, and only the failed entries are sent again, with exponential
 * backoff and full jitter. A whole-call error (throttling, network) retries the whole batch.
 *
 * @example
 * ```ts
 * const lane = new EventBridgeFastLane(eventBridgeClient(), "duplex-fast-lane");
 * const { delivered, failed } = await lane.send(commands);
 * ```
 */
export class EventBridgeFastLane implements FastLane {
  readonly #client: EventBridgeClient;
  readonly #busName: string;
  readonly #options: EventBridgeFastLaneOptions;

  constructor(
    client: EventBridgeClient,
    busName: string,
    options: Partial<EventBridgeFastLaneOptions> = {},
  ) {
    this.#client = client;
    this.#busName = busName;
    this.#options = { ...defaults, ...options };
  }

  async send(commands: readonly EventEnvelope[]): Promise<FastLaneResult> {
    const delivered: string[] = [];
    const failed: { eventId: string; errorCode: string; errorMessage: string }[] = [];
    const batches: EventEnvelope[][] = [];
    for (let i = 0; i < commands.length; i += PUT_EVENTS_MAX_ENTRIES) {
      batches.push(commands.slice(i, i + PUT_EVENTS_MAX_ENTRIES));
    }
    await Promise.all(
      batches.map(async (batch) => {
        const result = await this.#sendBatch(batch);
        delivered.push(...result.delivered);
        failed.push(...result.failed);
      }),
    );
    return { delivered, failed };
  }

  #entry(event: EventEnvelope) {
    const entry = toEventBridgeEntry(event, this.#busName);
    if (this.#options.spoilShare > 0 && Math.random() < this.#options.spoilShare) {
      // Not JSON: the service refuses this entry alone (MalformedDetail), the others go through.
      return { ...entry, Detail: `{"eventId": "${event.eventId}", "spoiled by a drill"` };
    }
    return entry;
  }

  async #sendBatch(batch: readonly EventEnvelope[]): Promise<FastLaneResult> {
    let pending = [...batch];
    const delivered: string[] = [];
    let lastErrors = new Map<string, { errorCode: string; errorMessage: string }>();
    for (let attempt = 0; attempt < this.#options.maxAttempts && pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(backoffDelay(attempt, this.#options));
      let entries: readonly PutEventsResultEntry[];
      try {
        const response = await this.#client.send(
          new PutEventsCommand({
            Entries: pending.map((event) => this.#entry(event)),
          }),
        );
        entries = response.Entries ?? [];
      } catch (error) {
        lastErrors = new Map(
          pending.map((e) => [
            e.eventId,
            { errorCode: (error as Error).name, errorMessage: (error as Error).message },
          ]),
        );
        continue;
      }
      const stillFailing: EventEnvelope[] = [];
      lastErrors = new Map();
      pending.forEach((event, index) => {
        const entry = entries[index];
        if (entry?.EventId !== undefined && entry.ErrorCode === undefined) {
          delivered.push(event.eventId);
        } else {
          stillFailing.push(event);
          lastErrors.set(event.eventId, {
            errorCode: entry?.ErrorCode ?? "MissingResultEntry",
            errorMessage: entry?.ErrorMessage ?? "PutEvents returned no result for this entry",
          });
        }
      });
      pending = stillFailing;
    }
    return {
      delivered,
      failed: pending.map((e) => ({
        eventId: e.eventId,
        ...(lastErrors.get(e.eventId) ?? { errorCode: "Unknown", errorMessage: "" }),
      })),
    };
  }
}
