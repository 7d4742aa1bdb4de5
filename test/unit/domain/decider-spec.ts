import { expect } from "vitest";
import type { EventInput } from "../../../events/create.ts";
import { createEvent } from "../../../events/create.ts";
import type { CriticalCommandName, EventTypeName } from "../../../events/types.ts";
import type { EventBody, EventDraft } from "../../../functions/domain/drafts.ts";

/** The fixed "now" of the decider tests. */
export const NOW = new Date("2026-11-23T10:00:00.000Z");

/**
 * A message as a producer may write it: defaults may be left out. Every `EventDraft` is one; the
 * tests use this for commands that rely on the catalog's defaults.
 */
export type InputDraft<T extends EventTypeName = EventTypeName> = {
  readonly [K in T]: { readonly eventType: K; readonly data: EventInput<K> };
}[T];

/** An input draft; see {@link InputDraft}. */
export function input<T extends EventTypeName>(eventType: T, data: EventInput<T>): InputDraft<T> {
  return { eventType, data } as unknown as InputDraft<T>;
}

/**
 * A draft as the runtime would publish it: validated by the catalog and with defaults filled in.
 * Throws a SchemaViolationError naming the field when a draft is not a valid event.
 */
export function toEvent<T extends EventTypeName>(d: InputDraft<T>): EventBody<T> {
  return createEvent(d.eventType, d.data as never, { occurredAt: NOW }) as unknown as EventBody<T>;
}

/** A decider as the tests see it: how to get its state from history, and how it decides. */
export interface DeciderUnderTest<S, C extends CriticalCommandName, X> {
  stateFor(history: readonly EventBody[], command: EventBody<C>): S;
  decide(state: S, command: EventBody<C>, context: X, now: Date): readonly EventDraft[];
}

/**
 * Given/When/Then for deciders (after Emmett's `DeciderSpecification`): history and command are
 * written as drafts, go through the catalog's validation like real events, and every event the
 * decider produces must be a valid event too.
 *
 * @example
 * ```ts
 * const spec = deciderSpec(customerDecider);
 * spec.given([registered]).when(register, undefined).then([rejectedAsDuplicate]);
 * ```
 */
export function deciderSpec<S, C extends CriticalCommandName, X>(
  decider: DeciderUnderTest<S, C, X>,
) {
  return {
    given(history: readonly InputDraft[]) {
      return {
        when(command: InputDraft<C>, context: X, now: Date = NOW) {
          const decide = () => {
            const events = history.map((d) => toEvent(d));
            const received = toEvent(command) as EventBody<C>;
            return decider.decide(decider.stateFor(events, received), received, context, now);
          };
          return {
            // biome-ignore lint/suspicious/noThenProperty: Given/When/Then wording (as in Emmett); the object is never awaited.
            then(expected: readonly EventDraft[]) {
              const produced = decide();
              expect(produced).toEqual(expected);
              for (const d of produced) expect(() => toEvent(d)).not.toThrow();
            },
            thenNothing() {
              expect(decide()).toEqual([]);
            },
            thenThrows(message: RegExp) {
              expect(decide).toThrow(message);
            },
          };
        },
      };
    },
  };
}
