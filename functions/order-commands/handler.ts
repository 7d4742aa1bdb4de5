import * as customers from "../domain/customers.ts";
import { initialProductState } from "../domain/inventory.ts";
import * as orders from "../domain/orders.ts";
import { clock } from "../kit/clock.ts";
import { runOnAggregate } from "../kit/command-runner.ts";
import { unhandledCommand } from "../kit/errors.ts";
import { fastLaneHandler } from "../kit/fast-lane-handler.ts";
import type { Runtime } from "../kit/runtime.ts";
import { declaration } from "./function.ts";

/**
 * Places, cancels and completes orders. Placing reads the customer and the named products (for
 * existence and prices); a bad order becomes an `OrderRejected` fact, never an exception that
 * loops in retries.
 */
export const handler = fastLaneHandler({
  declaration,
  handle: async (command, _delivery, runtime) => {
    const key = `Order#${command.aggregateId}`;
    const { eventType } = command;
    switch (eventType) {
      case "PlaceOrderRequested":
        await runOnAggregate(runtime, command, {
          key,
          initialState: orders.initialState,
          context: () => placeOrderContext(runtime, command.data),
          decide: (state, context) => orders.decide(state, command, context, clock.now()),
          evolve: orders.evolve,
        });
        return;
      case "CancelOrderRequested":
      case "CompleteOrderRequested":
        await runOnAggregate(runtime, command, {
          key,
          initialState: orders.initialState,
          decide: (state) => orders.decide(state, command, undefined, clock.now()),
          evolve: orders.evolve,
        });
        return;
      default:
        return unhandledCommand(declaration, eventType, command);
    }
  },
});

/** Whether the customer exists, and the name and price of every product the order names. */
async function placeOrderContext(
  runtime: Runtime,
  data: { customerId: string; items: readonly { productId: string }[] },
): Promise<orders.PlaceOrderContext> {
  const store = runtime.store("aggregates");
  const productIds = [...new Set(data.items.map((i) => i.productId))];
  const [customer, products] = await Promise.all([
    store.load(`Customer#${data.customerId}`, customers.initialState),
    productIds.length === 0
      ? new Map()
      : store.loadMany(
          productIds.map((id) => `Product#${id}`),
          initialProductState,
        ),
  ]);
  return {
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
}
