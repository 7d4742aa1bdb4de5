import { setTimeout as sleep } from "node:timers/promises";
import { InvalidEnvironmentVariableError } from "./errors.ts";

/**
 * Fault injection for drills and tests, switched on per function by environment variables (the
 * local drills set them with a redeploy; all are unset in production). Each is read once, at cold
 * start, so a redeploy turns it on or off.
 *
 * | variable | effect |
 * |---|---|
 * | `DUPLEX_FAULT_FAIL_ON` | event types (comma-separated, `*` for all) whose handling throws {@link InjectedFaultError} |
 * | `DUPLEX_FAULT_FAIL_EVERY` | every Nth event this execution environment handles throws {@link InjectedFaultError} |
 * | `DUPLEX_FAULT_DELAY_ON` | event types (comma-separated, `*` for all) whose handling first waits `DUPLEX_FAULT_DELAY_MS` |
 * | `DUPLEX_FAULT_DELAY_MS` | that wait in milliseconds (default 3000, FIS's `aws:lambda:invocation-add-delay` default) |
 * | `DUPLEX_FAULT_PUT_EVENTS_FAIL_SHARE` | share (0-1) of PutEvents entries sent so that the emulator refuses them, one by one (a partial failure of a 200 response) |
 * | `DUPLEX_FAULT_CLOCK_SKEW_SECONDS` | the kit's clock runs this many seconds ahead (negative: behind) of the machine's (see `clock.ts`) |
 *
 * An injected failure is retryable, so the record takes the real failure path (retries, then its
 * dead-letter destination) — the local counterpart of FIS's `aws:lambda:invocation-error`; the
 * delay is the counterpart of `aws:lambda:invocation-add-delay` (the AWS game days).
 *
 * @example
 * ```sh
 * DUPLEX_FAULT_FAIL_ON=ProcessPaymentRequested   # the payment handler "breaks"
 * DUPLEX_FAULT_FAIL_EVERY=7                      # every 7th event handled fails once
 * DUPLEX_FAULT_DELAY_ON='*' DUPLEX_FAULT_DELAY_MS=3000   # every event handled 3 s later
 * ```
 */
export class InjectedFaultError extends Error {
  readonly retryable = true;
  readonly code = "INJECTED_FAULT";
  constructor(functionName: string, eventType: string, eventId: string, why: string) {
    super(`${functionName}: injected fault for ${eventType} (event ${eventId}) — ${why}`);
    this.name = "InjectedFaultError";
  }
}

/** The variables of the fault switches. */
export const FAULT_ENV = {
  failOn: "DUPLEX_FAULT_FAIL_ON",
  failEvery: "DUPLEX_FAULT_FAIL_EVERY",
  putEventsFailShare: "DUPLEX_FAULT_PUT_EVENTS_FAIL_SHARE",
  clockSkewSeconds: "DUPLEX_FAULT_CLOCK_SKEW_SECONDS",
  delayOn: "DUPLEX_FAULT_DELAY_ON",
  delayMs: "DUPLEX_FAULT_DELAY_MS",
} as const;

/** The delay `DUPLEX_FAULT_DELAY_MS` defaults to: the FIS latency experiment's default. */
export const DEFAULT_FAULT_DELAY_MS = 3_000;

function typesOf(list: string | undefined): ReadonlySet<string> {
  return new Set(
    (list ?? "")
      .split(",")
      .map((t) => t.trim())
      .filter((t) => t !== ""),
  );
}

function numberFrom(
  env: NodeJS.ProcessEnv,
  name: string,
  expected: string,
  valid: (value: number) => boolean,
): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || !valid(value)) {
    throw new InvalidEnvironmentVariableError(name, expected);
  }
  return value;
}

/**
 * The handling fault switch of this execution environment (`DUPLEX_FAULT_FAIL_ON`,
 * `DUPLEX_FAULT_FAIL_EVERY`, `DUPLEX_FAULT_DELAY_ON`/`_MS`), read once at cold start (a bad value
 * fails there, naming the variable): await the returned function before handling each event.
 */
export function faultSwitch(
  functionName: string,
  env: NodeJS.ProcessEnv = process.env,
  wait: (ms: number) => Promise<unknown> = sleep,
) {
  const failOn = typesOf(env[FAULT_ENV.failOn]);
  const delayOn = typesOf(env[FAULT_ENV.delayOn]);
  const delayMs =
    delayOn.size === 0
      ? 0
      : (numberFrom(
          env,
          FAULT_ENV.delayMs,
          "whole milliseconds from 0 to 900000 (Lambda's longest timeout)",
          (n) => Number.isInteger(n) && n >= 0 && n <= 900_000,
        ) ?? DEFAULT_FAULT_DELAY_MS);
  const every = numberFrom(
    env,
    FAULT_ENV.failEvery,
    "a whole number of events, 1 or more",
    (n) => Number.isInteger(n) && n >= 1,
  );
  const hits = (types: ReadonlySet<string>, eventType: string) =>
    types.has("*") || types.has(eventType);
  let handled = 0;
  return async (event: { eventType: string; eventId: string }): Promise<void> => {
    if (delayMs > 0 && hits(delayOn, event.eventType)) await wait(delayMs);
    if (hits(failOn, event.eventType)) {
      throw new InjectedFaultError(
        functionName,
        event.eventType,
        event.eventId,
        `${FAULT_ENV.failOn} is set`,
      );
    }
    if (every !== undefined && ++handled % every === 0) {
      throw new InjectedFaultError(
        functionName,
        event.eventType,
        event.eventId,
        `${FAULT_ENV.failEvery}=${every} (event ${handled} of this environment)`,
      );
    }
  };
}

/** Share (0-1) of PutEvents entries to spoil, or 0 when the switch is off. */
export function putEventsFailShare(env: NodeJS.ProcessEnv = process.env): number {
  return (
    numberFrom(env, FAULT_ENV.putEventsFailShare, "a share from 0 to 1", (n) => n >= 0 && n <= 1) ??
    0
  );
}

/** Seconds the kit's clock is off by (0 when the switch is off). */
export function clockSkewSeconds(env: NodeJS.ProcessEnv = process.env): number {
  return (
    numberFrom(
      env,
      FAULT_ENV.clockSkewSeconds,
      "a number of seconds (negative: behind)",
      (n) => Math.abs(n) <= 86_400,
    ) ?? 0
  );
}
