import type { OrderSagaState } from "../domain/order-saga.ts";
import { onDeadline } from "../domain/order-saga.ts";
import { runDecision } from "../kit/command-runner.ts";
import { MetricUnit } from "../kit/observability.ts";
import { scheduledHandler } from "../kit/scheduled-handler.ts";
import { DEADLINE_SHARDS, sagaChange } from "../order-saga/saga-store.ts";
import { sagaTimeoutsFromEnv } from "../order-saga/timeouts.ts";
import { declaration } from "./function.ts";

const timeouts = sagaTimeoutsFromEnv();

/**
 * Enforces saga deadlines: finds sagas whose deadline passed (the `by-deadline` index) and lets the
 * state machine compensate (release a reservation nobody paid for, refund a payment whose delivery
 * never came) or re-send a step's command (under a new event id; the deciders make the repeat
 * harmless).
 */
export const handler = scheduledHandler(declaration, async (runtime, now) => {
  const store = runtime.store("sagas");
  const due = await store.queryDue(
    "by-deadline",
    "deadlineShard",
    "deadlineAt",
    DEADLINE_SHARDS,
    now.toISOString(),
  );
  let compensated = 0;
  let reissued = 0;
  for (const key of due) {
    const current = await store.load<OrderSagaState | null>(key, null);
    if (current.state?.deadlineAt === undefined) continue;
    const correlationId = (current.attributes.correlationId as string | undefined) ?? key;
    await runDecision({
      store,
      publisher: runtime.publisher,
      // The deadline itself is the message: a second sweep of the same deadline is a repeat.
      cause: { eventId: `deadline:${key}:${current.state.deadlineAt}`, correlationId },
      decide: async () => {
        const stored = await store.load<OrderSagaState | null>(key, null);
        if (stored.state === null) {
          return { primary: stored, touched: [], changes: [], recordHandled: false };
        }
        const reaction = onDeadline(stored.state, new Date(), timeouts);
        if (!reaction.changed) {
          return { primary: stored, touched: [stored], changes: [], recordHandled: false };
        }
        if (reaction.reissueLastCommand) reissued++;
        else compensated++;
        return sagaChange(stored, reaction.state, reaction.commands, correlationId);
      },
    });
  }
  runtime.metrics.addMetric("SagaDeadlinesCompensated", MetricUnit.Count, compensated);
  runtime.metrics.addMetric("SagaCommandsReissued", MetricUnit.Count, reissued);
  return { due: due.length, compensated, reissued };
});
