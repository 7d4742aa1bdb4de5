import * as deliveries from "../domain/deliveries.ts";
import { clock } from "../kit/clock.ts";
import { runOnAggregate } from "../kit/command-runner.ts";
import { unhandledCommand } from "../kit/errors.ts";
import { fastLaneHandler } from "../kit/fast-lane-handler.ts";
import { declaration } from "./function.ts";

/** Books a carrier for an order, or reports that the address cannot be served. */
export const handler = fastLaneHandler({
  declaration,
  handle: async (command, _delivery, runtime) => {
    const { eventType } = command;
    switch (eventType) {
      case "ScheduleDeliveryRequested":
        await runOnAggregate(runtime, command, {
          key: `Delivery#${command.data.orderId}`,
          initialState: deliveries.initialState,
          decide: (state) => deliveries.decide(state, command, undefined, clock.now()),
          evolve: deliveries.evolve,
        });
        return;
      default:
        return unhandledCommand(declaration, eventType, command);
    }
  },
});
