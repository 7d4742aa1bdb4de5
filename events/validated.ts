/**
 * Envelopes this process built or decoded through the catalog, so a publisher need not validate
 * them a second time. Envelopes are readonly by type; one changed after the fact is the caller's
 * bug, and still passes the log's own size checks.
 */
const validated = new WeakSet<object>();

/** Whether the catalog already validated this envelope (it came from `createEvent` or `decodeEvent`). */
export function isValidatedEvent(event: object): boolean {
  return validated.has(event);
}

/** Records an envelope as validated by the catalog. */
export function markValidated<T extends object>(event: T): T {
  validated.add(event);
  return event;
}
