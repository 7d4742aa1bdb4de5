import * as orders from "../domain/orders.ts";
import * as payments from "../domain/payments.ts";
import { decideOn, runDecision } from "../kit/command-runner.ts";
import { fastLaneHandler } from "../kit/fast-lane-handler.ts";
import { declaration } from "./function.ts";

/**
 * Captures and refunds payments through the (simulated) gateway. A payment for an order that is
 * cancelled is refused: the handler reads the order's status.
 */
export const handler = fastLaneHandler({
  declaration,
  handle: async (command, _delivery, runtime) => {
    const store = runtime.store("aggregates");
    const paymentKey = `Payment#${command.aggregateId}`;
    switch (command.eventType) {
      case "ProcessPaymentRequested":
        await runDecision({
          store,
          publisher: runtime.publisher,
          cause: command,
          decide: async () => {
            const order = await store.load(`Order#${command.data.orderId}`, orders.initialState);
            return decideOn(
              store,
              paymentKey,
              payments.initialState,
              (state) =>
                payments.decide(state, command, { orderStatus: order.state.status }, new Date()),
              payments.evolve,
            );
          },
        });
        return;
      case "RefundPaymentRequested":
        await runDecision({
          store,
          publisher: runtime.publisher,
          cause: command,
          decide: () =>
            decideOn(
              store,
              paymentKey,
              payments.initialState,
              (state) => payments.decide(state, command, undefined, new Date()),
              payments.evolve,
            ),
        });
        return;
      default:
        throw new Error(`${declaration.name} cannot handle ${command.eventType}`);
    }
  },
});
