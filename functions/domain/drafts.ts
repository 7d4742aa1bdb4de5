import type { CriticalCommandName, EventData, EventTypeName } from "../../events/types.ts";

/** The name of any fact (an event type that is not a critical command). */
export type FactName = Exclude<EventTypeName, CriticalCommandName>;

/**
 * What a decider or the saga produces: the type and the data of a new event, without an envelope.
 * The runtime wraps it (`createEvent(draft.eventType, draft.data, { causedBy })`), which validates
 * the data and fills in ids, timestamps and correlation. Keeping envelopes out of the domain keeps
 * it free of clocks and id generators, so a decision can be replayed and compared as is.
 *
 * The data is complete (the latest version's output: no default left to fill), so a draft is
 * also valid producer input (`EventInput<T>`) and can be folded into a state by `evolve` before
 * it is published, exactly as the event that will be read back.
 *
 * A discriminated union on `eventType`, so narrowing one narrows `data`.
 */
export type EventDraft<T extends EventTypeName = EventTypeName> = {
  readonly [K in T]: { readonly eventType: K; readonly data: EventData<K> };
}[T];

/** A draft of a critical command (what the saga issues). */
export type CommandDraft<T extends CriticalCommandName = CriticalCommandName> = EventDraft<T>;

/**
 * The part of a decoded event the domain reads: its type and its data in the latest version.
 * Any envelope (`AnyEvent`, `EventOf<T>`) is one, so handlers pass what they decoded as is;
 * the domain never looks at ids or timestamps of the messages it receives.
 */
export type EventBody<T extends EventTypeName = EventTypeName> = {
  readonly [K in T]: { readonly eventType: K; readonly data: EventData<K> };
}[T];

/**
 * Builds a draft; the type parameter ties `data` to `eventType`.
 *
 * @example
 * ```ts
 * const reserve = draft("ReserveInventoryRequested", {
 *   orderId: "o-1", items: [{ productId: "p-1", quantity: 2 }], holdSeconds: 600,
 * });
 * reserve.eventType; // "ReserveInventoryRequested"
 * ```
 */
export function draft<T extends EventTypeName>(eventType: T, data: EventData<T>): EventDraft<T> {
  // TypeScript cannot see that a generic `{ eventType: T; data: EventData<T> }` is one member of
  // the mapped union; the signature above is what keeps callers honest.
  return { eventType, data } as unknown as EventDraft<T>;
}

/** The catalog's limit on every `reason` field. */
export const MAX_REASON_LENGTH = 512;

/**
 * A reason that fits the catalog's `Reason` schema: long lists of ids are cut rather than making
 * the draft invalid (which would turn a business rejection into a poison message).
 *
 * @example
 * ```ts
 * reasonText(`unknown products: ${ids.join(", ")}`).length <= 512; // true
 * ```
 */
export function reasonText(text: string): string {
  const trimmed = text.trim();
  if (trimmed.length === 0) return "unspecified";
  if (trimmed.length <= MAX_REASON_LENGTH) return trimmed;
  return `${trimmed.slice(0, MAX_REASON_LENGTH - 1)}…`;
}
