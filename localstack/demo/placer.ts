import type { EventEnvelope } from "../../events/envelope.ts";
import { backoffDelay, sleep } from "../../functions/kit/backoff.ts";
import { LogPublishError } from "../../functions/kit/log/errors.ts";

/** What the placer did, for the summary. */
export interface PlacerReport {
  /** Publish calls the log acknowledged. */
  readonly accepted: number;
  /** Publish calls the log refused (each retry that was refused again counts). */
  readonly refused: number;
  /** Publish calls that were retries of a refused one. */
  readonly retried: number;
  /** Events refused at least once (they were late, not lost, unless given up on). */
  readonly delayedEvents: number;
  /** Events still refused when the placer gave up on them. */
  readonly givenUp: readonly string[];
  /** The first refusal's message, for the summary. */
  readonly firstRefusal: string | undefined;
}

export interface PlacerOptions {
  /** How long to keep retrying one refused call before giving up on it. @default 180000 */
  readonly giveUpAfterMs?: number;
  /** Waits between retries: exponential with full jitter. @default 1000 → 8000 */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Told about each refusal (progress lines). */
  readonly onRefusal?: (eventIds: readonly string[], error: LogPublishError) => void;
  /** Told about each acknowledged call. */
  readonly onAcceptance?: (eventIds: readonly string[]) => void;
}

/**
 * The demo's shop front: it accepts orders (and the other commands a driver sends) and hands them
 * to the log. A refusal by the log (`LogPublishError`: the publisher's retry budget is spent) is
 * what a real storefront sees during a log outage; it does what one would: keeps the request and
 * tries the same envelopes again later, with backoff, while it goes on taking new ones — never a
 * crash. Same envelopes means same event ids, so a refusal whose events did reach the log after
 * all is harmless (consumers deduplicate). Anything else (bad input, a bug) is thrown.
 *
 * @example
 * ```ts
 * const placer = new OrderPlacer((events) => session.publish(events));
 * placer.place(orders.map((o) => o.command));  // returns at once; the call runs in the background
 * await placer.settled();                       // every call acknowledged, or given up on
 * ```
 */
export class OrderPlacer {
  readonly #publish: (events: readonly EventEnvelope[]) => Promise<unknown>;
  readonly #options: PlacerOptions;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #delayed = new Set<string>();
  readonly #givenUp: string[] = [];
  #accepted = 0;
  readonly #acceptedAt: number[] = [];
  #refused = 0;
  #retried = 0;
  #firstRefusal: string | undefined;
  #failure: unknown;

  constructor(
    publish: (events: readonly EventEnvelope[]) => Promise<unknown>,
    options: PlacerOptions = {},
  ) {
    this.#publish = publish;
    this.#options = options;
  }

  /** Starts handing `events` to the log (one call) and returns at once. */
  place(events: readonly EventEnvelope[]): void {
    if (events.length === 0) return;
    const work = this.#deliver(events).catch((error: unknown) => {
      this.#failure ??= error;
    });
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  /** Hands `events` to the log and waits until they are acknowledged (or given up on). */
  async placeAndWait(events: readonly EventEnvelope[]): Promise<void> {
    await this.#deliver(events);
  }

  /** Waits for every call placed so far; throws what was not a refusal. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Calls still waiting for the log. */
  get pending(): number {
    return this.#inFlight.size;
  }

  /** When the log first acknowledged a call of this placer after `since` (epoch ms). */
  firstAcceptanceAfter(since: number): number | undefined {
    return this.#acceptedAt.find((at) => at >= since);
  }

  report(): PlacerReport {
    return {
      accepted: this.#accepted,
      refused: this.#refused,
      retried: this.#retried,
      delayedEvents: this.#delayed.size,
      givenUp: [...this.#givenUp],
      firstRefusal: this.#firstRefusal,
    };
  }

  async #deliver(events: readonly EventEnvelope[]): Promise<void> {
    const started = Date.now();
    const giveUpAfterMs = this.#options.giveUpAfterMs ?? 180_000;
    const backoff = {
      baseDelayMs: this.#options.baseDelayMs ?? 1_000,
      maxDelayMs: this.#options.maxDelayMs ?? 8_000,
    };
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) this.#retried++;
      try {
        await this.#publish(events);
        this.#accepted++;
        this.#acceptedAt.push(Date.now());
        this.#options.onAcceptance?.(events.map((e) => e.eventId));
        return;
      } catch (error) {
        if (!(error instanceof LogPublishError)) throw error;
        this.#refused++;
        this.#firstRefusal ??= error.message;
        for (const event of events) this.#delayed.add(event.eventId);
        this.#options.onRefusal?.(
          events.map((e) => e.eventId),
          error,
        );
        if (Date.now() - started > giveUpAfterMs) {
          this.#givenUp.push(...events.map((e) => e.eventId));
          return;
        }
      }
      // A floor of half the base: a storefront does not hammer a log that just refused.
      await sleep(backoff.baseDelayMs / 2 + backoffDelay(attempt, backoff));
    }
  }
}
