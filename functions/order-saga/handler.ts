import type { AnyFact } from "../../events/types.ts";
import type { OrderSagaState } from "../domain/order-saga.ts";
import { react, sagaIdOf } from "../domain/order-saga.ts";
import { clock } from "../kit/clock.ts";
import { runDecision } from "../kit/command-runner.ts";
import { logHandler } from "../kit/log-handler.ts";
import { declaration, sagaFacts } from "./function.ts";
import { sagaChange, sagaKey } from "./saga-store.ts";
import { sagaTimeoutsFromEnv } from "./timeouts.ts";

const timeouts = sagaTimeoutsFromEnv();

/**
 * The order-fulfilment saga: for each fact of an order, load its saga (versioned, in the `sagas`
 * table), let the pure state machine decide, and commit the new state together with the commands
 * it issues (an outbox) in one conditional write; the commands are then published log-first and
 * on the fast lane. A fact that changes nothing (a duplicate, a stale reply) writes nothing.
 */
export const handler = logHandler({
  declaration,
  eventTypes: new Set(sagaFacts),
  handle: async (event, _position, runtime) => {
    const fact = event as AnyFact;
    const orderId = sagaIdOf(fact);
    if (orderId === undefined) return;
    const store = runtime.store("sagas");
    await runDecision({
      store,
      publisher: runtime.publisher,
      cause: event,
      decide: async () => {
        const stored = await store.load<OrderSagaState | null>(sagaKey(orderId), null);
        const reaction = react(stored.state ?? undefined, fact, clock.now(), timeouts);
        if (!reaction.changed || reaction.state === undefined) {
          return { primary: stored, touched: [stored], changes: [], recordHandled: false };
        }
        return sagaChange(stored, reaction.state, reaction.commands, event.correlationId, reaction);
      },
    });
  },
});
