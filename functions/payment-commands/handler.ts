import * as orders from "../domain/orders.ts";
import * as payments from "../domain/payments.ts";
import { clock } from "../kit/clock.ts";
import { runOnAggregate } from "../kit/command-runner.ts";
import { unhandledCommand } from "../kit/errors.ts";
import { fastLaneHandler } from "../kit/fast-lane-handler.ts";
import { declaration } from "./function.ts";

/**
 * Captures and refunds payments through the (simulated) gateway. A payment for an order that is
 * cancelled is refused: the handler reads the order's status.
 */
export const handler = fastLaneHandler({
  declaration,
  handle: async (command, _delivery, runtime) => {
    const key = `Payment#${command.aggregateId}`;
    const { eventType } = command;
    switch (eventType) {
      case "ProcessPaymentRequested":
        await runOnAggregate(runtime, command, {
          key,
          initialState: payments.initialState,
          context: async (): Promise<payments.PaymentContext> => {
            const order = await runtime
              .store("aggregates")
              .load(`Order#${command.data.orderId}`, orders.initialState);
            return { orderStatus: order.state.status };
          },
          decide: (state, context) => payments.decide(state, command, context, clock.now()),
          evolve: payments.evolve,
        });
        return;
      case "RefundPaymentRequested":
        await runOnAggregate(runtime, command, {
          key,
          initialState: payments.initialState,
          decide: (state) => payments.decide(state, command, undefined, clock.now()),
          evolve: payments.evolve,
        });
        return;
      default:
        return unhandledCommand(declaration, eventType, command);
    }
  },
});
