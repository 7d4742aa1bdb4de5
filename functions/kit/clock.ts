import { clockSkewSeconds } from "./faults.ts";

/**
 * The kit's clock: the time handlers decide with (deadlines, `occurredAt` and time-ordered event
 * ids of what they emit, ledger due times, sweeps). It is the machine's clock unless the drill
 * switch `DUPLEX_FAULT_CLOCK_SKEW_SECONDS` sets it off by some seconds — a function whose host
 * clock is wrong. Read once per execution environment (cold start).
 *
 * Libraries keep their own clock (Powertools idempotency computes its record expiry with
 * `Date.now()`), as they would on a host whose clock is wrong only for this code.
 *
 * @example
 * ```ts
 * const decision = decide(state, command, context, clock.now());
 * ```
 */
export interface Clock {
  readonly skewMs: number;
  now(): Date;
  nowMs(): number;
}

/** A clock off by `skewMs` (0: the machine's). */
export function skewedClock(skewMs: number): Clock {
  return {
    skewMs,
    now: () => new Date(Date.now() + skewMs),
    nowMs: () => Date.now() + skewMs,
  };
}

/** This execution environment's clock. */
export const clock: Clock = skewedClock(clockSkewSeconds() * 1000);
