import * as customers from "../domain/customers.ts";
import { decideOn, runDecision } from "../kit/command-runner.ts";
import { fastLaneHandler } from "../kit/fast-lane-handler.ts";
import { declaration } from "./function.ts";

/** Registers customers. A second registration of the same id is rejected with an event. */
export const handler = fastLaneHandler({
  declaration,
  handle: async (command, _delivery, runtime) => {
    const store = runtime.store("aggregates");
    switch (command.eventType) {
      case "RegisterCustomerRequested":
        await runDecision({
          store,
          publisher: runtime.publisher,
          cause: command,
          decide: () =>
            decideOn(
              store,
              `Customer#${command.data.customerId}`,
              customers.initialState,
              (state) => customers.decide(state, command, undefined, new Date()),
              customers.evolve,
            ),
        });
        return;
      default:
        throw new Error(`${declaration.name} cannot handle ${command.eventType}`);
    }
  },
});
