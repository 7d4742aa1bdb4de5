import * as deliveries from "../domain/deliveries.ts";
import { decideOn, runDecision } from "../kit/command-runner.ts";
import { fastLaneHandler } from "../kit/fast-lane-handler.ts";
import { declaration } from "./function.ts";

/** Books a carrier for an order, or reports that the address cannot be served. */
export const handler = fastLaneHandler({
  declaration,
  handle: async (command, _delivery, runtime) => {
    const store = runtime.store("aggregates");
    switch (command.eventType) {
      case "ScheduleDeliveryRequested":
        await runDecision({
          store,
          publisher: runtime.publisher,
          cause: command,
          decide: () =>
            decideOn(
              store,
              `Delivery#${command.data.orderId}`,
              deliveries.initialState,
              (state) => deliveries.decide(state, command, undefined, new Date()),
              deliveries.evolve,
            ),
        });
        return;
      default:
        throw new Error(`${declaration.name} cannot handle ${command.eventType}`);
    }
  },
});
