import * as customers from "../domain/customers.ts";
import { clock } from "../kit/clock.ts";
import { runOnAggregate } from "../kit/command-runner.ts";
import { unhandledCommand } from "../kit/errors.ts";
import { fastLaneHandler } from "../kit/fast-lane-handler.ts";
import { declaration } from "./function.ts";

/** Registers customers. A second registration of the same id is rejected with an event. */
export const handler = fastLaneHandler({
  declaration,
  handle: async (command, _delivery, runtime) => {
    const { eventType } = command;
    switch (eventType) {
      case "RegisterCustomerRequested":
        await runOnAggregate(runtime, command, {
          key: `Customer#${command.data.customerId}`,
          initialState: customers.initialState,
          decide: (state) => customers.decide(state, command, undefined, clock.now()),
          evolve: customers.evolve,
        });
        return;
      default:
        return unhandledCommand(declaration, eventType, command);
    }
  },
});
