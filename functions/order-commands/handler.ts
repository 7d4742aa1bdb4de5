import * as customers from "../domain/customers.ts";
import { initialProductState } from "../domain/inventory.ts";
import * as orders from "../domain/orders.ts";
import { decideOn, runDecision } from "../kit/command-runner.ts";
import { fastLaneHandler } from "../kit/fast-lane-handler.ts";
import { declaration } from "./function.ts";

/**
 * Places, cancels and completes orders. Placing reads the customer and the named products (for
 * existence and prices); a bad order becomes an `OrderRejected` fact, never an exception that
 * loops in retries.
 */
export const handler = fastLaneHandler({
  declaration,
  handle: async (command, _delivery, runtime) => {
    const store = runtime.store("aggregates");
    const orderKey = `Order#${command.aggregateId}`;
    switch (command.eventType) {
      case "PlaceOrderRequested":
        await runDecision({
          store,
          publisher: runtime.publisher,
          cause: command,
          decide: async () => {
            const productIds = [...new Set(command.data.items.map((i) => i.productId))];
            const [customer, products] = await Promise.all([
              store.load(`Customer#${command.data.customerId}`, customers.initialState),
              productIds.length === 0
                ? new Map()
                : store.loadMany(
                    productIds.map((id) => `Product#${id}`),
                    initialProductState,
                  ),
            ]);
            const context: orders.PlaceOrderContext = {
              customerExists: customer.state.status === "registered",
              products: Object.fromEntries(
                productIds.map((id) => {
                  const product = products.get(`Product#${id}`)?.state;
                  return [
                    id,
                    product?.exists
                      ? { name: product.name, unitPriceCents: product.unitPriceCents }
                      : undefined,
                  ];
                }),
              ),
            };
            return decideOn(
              store,
              orderKey,
              orders.initialState,
              (state) => orders.decide(state, command, context, new Date()),
              orders.evolve,
            );
          },
        });
        return;
      case "CancelOrderRequested":
      case "CompleteOrderRequested":
        await runDecision({
          store,
          publisher: runtime.publisher,
          cause: command,
          decide: () =>
            decideOn(
              store,
              orderKey,
              orders.initialState,
              (state) => orders.decide(state, command, undefined, new Date()),
              orders.evolve,
            ),
        });
        return;
      default:
        throw new Error(`${declaration.name} cannot handle ${command.eventType}`);
    }
  },
});
