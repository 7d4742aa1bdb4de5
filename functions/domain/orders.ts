import type { EventData } from "../../events/types.ts";
import type { EventBody, EventDraft } from "./drafts.ts";
import { draft, reasonText } from "./drafts.ts";
import { MissingContextError, unreachable } from "./errors.ts";
import { distinctIds, mergeLines } from "./lines.ts";
import { lookup } from "./lookup.ts";

/**
 * The Order aggregate (id: `orderId`): accepts or rejects a new order, prices it from the
 * catalogue, and records how it ends (completed or cancelled). It never talks to inventory,
 * payment or delivery; the saga does.
 */

export type PricedItem = EventData<"OrderPlaced">["items"][number];
export type Address = EventData<"OrderPlaced">["shippingAddress"];
export type OrderRejectionCode = EventData<"OrderRejected">["code"];
export type OrderCancellationCode = EventData<"OrderCancelled">["code"];

/** What an accepted order keeps, whatever happened to it afterwards. */
export interface OrderDetails {
  readonly customerId: string;
  readonly items: readonly PricedItem[];
  readonly totalCents: number;
  readonly currency: string;
  readonly shippingAddress: Address;
  readonly paymentToken: string;
}

export type OrderState =
  | { readonly status: "none" }
  | ({ readonly status: "placed" } & OrderDetails)
  | ({ readonly status: "completed"; readonly deliveryId: string } & OrderDetails)
  | ({
      readonly status: "cancelled";
      readonly code: OrderCancellationCode;
      readonly reason: string;
    } & OrderDetails)
  | {
      readonly status: "rejected";
      readonly customerId: string;
      readonly code: OrderRejectionCode;
      readonly reason: string;
    };

export type OrderStatus = OrderState["status"];

export type OrderCommandName =
  | "PlaceOrderRequested"
  | "CancelOrderRequested"
  | "CompleteOrderRequested";
export type OrderCommand = EventBody<OrderCommandName>;

export const orderFactNames = [
  "OrderPlaced",
  "OrderRejected",
  "OrderCancelled",
  "OrderCompleted",
  "OrderCommandRejected",
] as const;
export type OrderFactName = (typeof orderFactNames)[number];
export type OrderFact = EventBody<OrderFactName>;

/** What the catalogue says about a product when an order is priced. */
export interface ProductInfo {
  readonly name: string;
  readonly unitPriceCents: number;
}

/**
 * What `PlaceOrderRequested` needs besides the order's own state; the handler loads it (see
 * {@link placeOrderLookups}). Other order commands need none.
 */
export interface PlaceOrderContext {
  readonly customerExists: boolean;
  /** Every product the command names; an id mapped to `undefined` (or absent) is unknown. */
  readonly products: Readonly<Record<string, ProductInfo | undefined>>;
}

/** Whether an event is one of the Order aggregate's facts. */
export function isOrderFact(event: EventBody): event is OrderFact {
  return (orderFactNames as readonly string[]).includes(event.eventType);
}

/** The state before any event. */
export const initialState: OrderState = { status: "none" };

/**
 * What a handler must load before deciding `PlaceOrderRequested`.
 *
 * @example
 * ```ts
 * placeOrderLookups(place.data); // { customerId: "c-1", productIds: ["p-1", "p-2"] }
 * ```
 */
export function placeOrderLookups(data: EventData<"PlaceOrderRequested">): {
  readonly customerId: string;
  readonly productIds: readonly string[];
} {
  return {
    customerId: data.customerId,
    productIds: distinctIds(data.items.map((i) => i.productId)),
  };
}

/**
 * Decides what an order command leads to. Rejections are events, never exceptions; repeating
 * `CompleteOrderRequested` on a completed order yields `[]`.
 *
 * @example
 * ```ts
 * decide(initialState, place, { customerExists: true, products: { "p-1": kettle } }, now);
 * // [{ eventType: "OrderPlaced", data: { orderId: "o-1", items: [...], totalCents: 2500, ... } }]
 * ```
 */
export function decide(
  state: OrderState,
  command: OrderCommand,
  context: PlaceOrderContext | undefined,
  _now: Date,
): EventDraft<OrderFactName>[] {
  switch (command.eventType) {
    case "PlaceOrderRequested": {
      if (context === undefined) {
        throw new MissingContextError(
          command.eventType,
          command.data.orderId,
          "a PlaceOrderContext (customer existence and the products named)",
        );
      }
      return [placeOrder(state, command.data, context)];
    }
    case "CancelOrderRequested":
      return cancelOrder(state, command.data);
    case "CompleteOrderRequested":
      return completeOrder(state, command.data);
    default:
      return unreachable(command, "orders.decide");
  }
}

function placeOrder(
  state: OrderState,
  data: EventData<"PlaceOrderRequested">,
  context: PlaceOrderContext,
): EventDraft<"OrderPlaced" | "OrderRejected"> {
  const { orderId, customerId, items } = data;
  const reject = (code: OrderRejectionCode, reason: string) =>
    draft("OrderRejected", { orderId, customerId, code, reason: reasonText(reason) });

  if (state.status !== "none") {
    return reject("DUPLICATE_ORDER", `order ${orderId} already exists (${state.status})`);
  }
  if (!context.customerExists) {
    return reject("UNKNOWN_CUSTOMER", `customer ${customerId} is not registered`);
  }
  if (items.length === 0) {
    return reject("EMPTY_ORDER", `order ${orderId} has no items`);
  }
  const invalid = items.filter((i) => i.quantity <= 0);
  if (invalid.length > 0) {
    const named = invalid.map((i) => `${i.productId} (${i.quantity})`).join(", ");
    return reject("INVALID_QUANTITY", `quantities must be positive: ${named}`);
  }
  const unknown = distinctIds(items.map((i) => i.productId)).filter(
    (id) => lookup(context.products, id) === undefined,
  );
  if (unknown.length > 0) {
    return reject("UNKNOWN_PRODUCT", `unknown products: ${unknown.join(", ")}`);
  }

  const priced = mergeLines(items).map(({ productId, quantity }) => ({
    productId,
    quantity,
    // Checked above: every id has a product.
    unitPriceCents: lookup(context.products, productId)?.unitPriceCents ?? 0,
  }));
  const totalCents = priced.reduce((sum, i) => sum + i.quantity * i.unitPriceCents, 0);
  return draft("OrderPlaced", {
    orderId,
    customerId,
    items: priced,
    totalCents,
    currency: data.currency,
    shippingAddress: data.shippingAddress,
    paymentToken: data.paymentToken,
  });
}

function cancelOrder(
  state: OrderState,
  data: EventData<"CancelOrderRequested">,
): EventDraft<"OrderCancelled" | "OrderCommandRejected">[] {
  const { orderId } = data;
  const reject = (code: EventData<"OrderCommandRejected">["code"], reason: string) => [
    draft("OrderCommandRejected", { orderId, command: "CancelOrderRequested", code, reason }),
  ];
  switch (state.status) {
    case "none":
      return reject("UNKNOWN_ORDER", `order ${orderId} does not exist`);
    case "rejected":
      return reject("UNKNOWN_ORDER", `order ${orderId} was rejected; there is nothing to cancel`);
    case "completed":
      return reject("ALREADY_COMPLETED", `order ${orderId} is completed`);
    case "cancelled":
      return reject("ALREADY_CANCELLED", `order ${orderId} is already cancelled`);
    case "placed":
      return [
        draft("OrderCancelled", {
          orderId,
          customerId: state.customerId,
          code: data.code,
          reason: data.reason,
        }),
      ];
    default:
      return unreachable(state, "orders.cancelOrder");
  }
}

function completeOrder(
  state: OrderState,
  data: EventData<"CompleteOrderRequested">,
): EventDraft<"OrderCompleted" | "OrderCommandRejected">[] {
  const { orderId, deliveryId } = data;
  const reject = (code: EventData<"OrderCommandRejected">["code"], reason: string) => [
    draft("OrderCommandRejected", { orderId, command: "CompleteOrderRequested", code, reason }),
  ];
  switch (state.status) {
    case "none":
      return reject("UNKNOWN_ORDER", `order ${orderId} does not exist`);
    case "rejected":
      return reject("UNKNOWN_ORDER", `order ${orderId} was rejected; there is nothing to complete`);
    case "cancelled":
      return reject("ALREADY_CANCELLED", `order ${orderId} is cancelled`);
    case "completed":
      return [];
    case "placed":
      return [
        draft("OrderCompleted", {
          orderId,
          customerId: state.customerId,
          totalCents: state.totalCents,
          currency: state.currency,
          deliveryId,
        }),
      ];
    default:
      return unreachable(state, "orders.completeOrder");
  }
}

/**
 * Applies an order fact. A fact that does not fit the state (which `decide` never produces, e.g.
 * `OrderRejected{DUPLICATE_ORDER}` for an existing order) leaves it unchanged.
 *
 * @example
 * ```ts
 * evolve(initialState, placed).status; // "placed"
 * ```
 */
export function evolve(state: OrderState, event: OrderFact): OrderState {
  switch (event.eventType) {
    case "OrderPlaced": {
      if (state.status !== "none") return state;
      const { customerId, items, totalCents, currency, shippingAddress, paymentToken } = event.data;
      return {
        status: "placed",
        customerId,
        items,
        totalCents,
        currency,
        shippingAddress,
        paymentToken,
      };
    }
    case "OrderRejected":
      if (state.status !== "none") return state;
      return {
        status: "rejected",
        customerId: event.data.customerId,
        code: event.data.code,
        reason: event.data.reason,
      };
    case "OrderCancelled":
      if (state.status !== "placed") return state;
      return { ...state, status: "cancelled", code: event.data.code, reason: event.data.reason };
    case "OrderCompleted":
      if (state.status !== "placed") return state;
      return { ...state, status: "completed", deliveryId: event.data.deliveryId };
    case "OrderCommandRejected":
      return state;
    default:
      return unreachable(event, "orders.evolve");
  }
}
