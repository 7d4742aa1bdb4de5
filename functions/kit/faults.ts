import { setTimeout as sleep } from "node:timers/promises";
import { InvalidEnvironmentVariableError } from "./errors.ts";

/**
 * Fault injection for drills and tests, the local counterparts of the AWS game days (FIS):
 *
 * - `DUPLEX_FAULT_FAIL_ON` lists event types (comma-separated, `*` for all) whose handling throws
 *   {@link InjectedFaultError}, a retryable error, so the record takes the real failure path
 *   (retries, then its dead-letter destination) — FIS's `aws:lambda:invocation-error`.
 * - `DUPLEX_FAULT_DELAY_ON` lists event types whose handling first waits
 *   `DUPLEX_FAULT_DELAY_MS` milliseconds (default 3000) — FIS's `aws:lambda:invocation-add-delay`.
 *
 * Unset in production.
 *
 * @example
 * ```sh
 * DUPLEX_FAULT_FAIL_ON=ProcessPaymentRequested   # the payment handler "breaks"
 * DUPLEX_FAULT_DELAY_ON='*' DUPLEX_FAULT_DELAY_MS=3000   # every event handled 3 s later
 * ```
 */
export class InjectedFaultError extends Error {
  readonly retryable = true;
  readonly code = "INJECTED_FAULT";
  constructor(functionName: string, eventType: string, eventId: string) {
    super(
      `${functionName}: injected fault for ${eventType} (event ${eventId}) — DUPLEX_FAULT_FAIL_ON is set`,
    );
    this.name = "InjectedFaultError";
  }
}

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

function delayOf(env: NodeJS.ProcessEnv): number {
  const raw = env.DUPLEX_FAULT_DELAY_MS;
  if (raw === undefined || raw === "") return DEFAULT_FAULT_DELAY_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0 || ms > 900_000) {
    throw new InvalidEnvironmentVariableError(
      "DUPLEX_FAULT_DELAY_MS",
      `whole milliseconds from 0 to 900000 (Lambda's longest timeout), got '${raw}'`,
    );
  }
  return ms;
}

/**
 * The fault switch of this execution environment, read once at cold start (a bad
 * `DUPLEX_FAULT_DELAY_MS` fails there). Await it before handling an event.
 */
export function faultSwitch(
  functionName: string,
  env: NodeJS.ProcessEnv = process.env,
  wait: (ms: number) => Promise<unknown> = sleep,
) {
  const failOn = typesOf(env.DUPLEX_FAULT_FAIL_ON);
  const delayOn = typesOf(env.DUPLEX_FAULT_DELAY_ON);
  const delayMs = delayOn.size > 0 ? delayOf(env) : 0;
  const hits = (types: ReadonlySet<string>, eventType: string) =>
    types.has("*") || types.has(eventType);
  return async (event: { eventType: string; eventId: string }): Promise<void> => {
    if (delayMs > 0 && hits(delayOn, event.eventType)) await wait(delayMs);
    if (hits(failOn, event.eventType)) {
      throw new InjectedFaultError(functionName, event.eventType, event.eventId);
    }
  };
}
