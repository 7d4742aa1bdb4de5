/**
 * Fault injection for drills and tests: `DUPLEX_FAULT_FAIL_ON` lists event types (comma-separated,
 * `*` for all) whose handling throws {@link InjectedFaultError}, a retryable error, so the record
 * takes the real failure path (retries, then its dead-letter destination). Unset in production.
 *
 * @example
 * ```sh
 * DUPLEX_FAULT_FAIL_ON=ProcessPaymentRequested   # the payment handler "breaks"
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

/** The fault switch of this execution environment, read once at cold start. */
export function faultSwitch(functionName: string, env: NodeJS.ProcessEnv = process.env) {
  const types = new Set(
    (env.DUPLEX_FAULT_FAIL_ON ?? "")
      .split(",")
      .map((t) => t.trim())
      .filter((t) => t !== ""),
  );
  return (event: { eventType: string; eventId: string }): void => {
    if (types.has("*") || types.has(event.eventType)) {
      throw new InjectedFaultError(functionName, event.eventType, event.eventId);
    }
  };
}
