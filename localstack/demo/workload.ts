import { createEvent } from "../../events/create.ts";
import type { EventEnvelope } from "../../events/envelope.ts";
import { between, pick, seededRandom } from "./random.ts";

/**
 * The demo's workload, generated from a seed: customers, a catalogue of products with stock, and
 * orders, a configurable share of which are designed to fail in each way the saga handles.
 */
export type OrderOutcome =
  | "complete"
  | "payment-declined"
  | "payment-no-answer"
  | "out-of-stock"
  | "delivery-impossible"
  | "rejected-unknown-product"
  | "rejected-negative-quantity"
  | "rejected-unknown-customer"
  | "rejected-duplicate-order";

/** What the demo expects of an order, so the summary can check it ended the way it was designed. */
export interface PlannedOrder {
  readonly command: EventEnvelope;
  readonly orderId: string;
  readonly designed: OrderOutcome;
}

export interface WorkloadOptions {
  readonly customers: number;
  readonly orders: number;
  /** Share of orders designed to fail (0..1), spread over the failure kinds. */
  readonly failureShare: number;
  readonly seed: number;
  /** Distinguishes ids of one run from another's. */
  readonly runId: string;
}

export interface Workload {
  readonly customers: readonly EventEnvelope[];
  readonly restocks: readonly EventEnvelope[];
  /** Units restocked per product: the stock invariant's "initial". */
  readonly initialStock: ReadonlyMap<string, number>;
  readonly orders: readonly PlannedOrder[];
}

const failureKinds: readonly OrderOutcome[] = [
  "payment-declined",
  "payment-no-answer",
  "out-of-stock",
  "delivery-impossible",
  "rejected-unknown-product",
  "rejected-negative-quantity",
  "rejected-unknown-customer",
  "rejected-duplicate-order",
];

const cities = [
  { city: "Berlin", postalCode: "10115", country: "DE" },
  { city: "Paris", postalCode: "75001", country: "FR" },
  { city: "Amsterdam", postalCode: "1012", country: "NL" },
  { city: "Madrid", postalCode: "28001", country: "ES" },
  { city: "London", postalCode: "SW1A 1AA", country: "GB" },
  { city: "New York", postalCode: "10001", country: "US" },
];

const productNames = ["Kettle", "Toaster", "Lamp", "Chair", "Mug", "Teapot", "Clock", "Radio"];

/**
 * Builds a workload. Orders that should complete draw from products stocked for every order of the
 * run; "out of stock" orders ask for more of a scarce product than was ever restocked, so their
 * outcome does not depend on timing.
 *
 * @example
 * ```ts
 * const workload = buildWorkload({ customers: 20, orders: 200, failureShare: 0.25, seed: 42, runId: "r1" });
 * ```
 */
export function buildWorkload(options: WorkloadOptions): Workload {
  const random = seededRandom(options.seed);
  const id = (kind: string, n: number) => `${kind}-${options.runId}-${n}`;

  const customers = Array.from({ length: options.customers }, (_, i) =>
    createEvent("RegisterCustomerRequested", {
      customerId: id("c", i),
      name: `Customer ${i}`,
      email: `customer${i}@example.com`,
    }),
  );

  // Enough products that concurrent reservations rarely race for the same one (each race is a
  // conditional-write conflict, decided again on fresh stock).
  const productCount = Math.max(8, Math.min(60, Math.ceil(options.orders / 4)));
  const ample = Array.from({ length: productCount }, (_, i) => ({
    productId: id("p", i),
    name: `${pick(random, productNames)} ${i}`,
    unitPriceCents: between(random, 199, 9_999),
    // Enough for every order to take its maximum from every product.
    quantity: options.orders * 3,
  }));
  const scarce = {
    productId: id("scarce", 0),
    name: "Limited edition",
    unitPriceCents: 24_900,
    quantity: 2,
  };
  const restocks = [...ample, scarce].map((p) => createEvent("RestockProductRequested", p));
  const initialStock = new Map([...ample, scarce].map((p) => [p.productId, p.quantity]));

  const orders: PlannedOrder[] = [];
  const placed: string[] = [];
  for (let n = 0; n < options.orders; n++) {
    const designed: OrderOutcome =
      random() < options.failureShare ? pick(random, failureKinds) : "complete";
    const orderId =
      designed === "rejected-duplicate-order" && placed.length > 0
        ? pick(random, placed)
        : id("o", n);
    const customerId =
      designed === "rejected-unknown-customer"
        ? `nobody-${options.runId}-${n}`
        : pick(random, customers).data.customerId;
    const lines = Array.from({ length: between(random, 1, 3) }, () => ({
      productId: pick(random, ample).productId,
      quantity: between(random, 1, 3),
    }));
    const where = pick(random, cities);
    const items =
      designed === "out-of-stock"
        ? [...lines, { productId: scarce.productId, quantity: scarce.quantity + 1 }]
        : designed === "rejected-unknown-product"
          ? [...lines, { productId: `ghost-${options.runId}-${n}`, quantity: 1 }]
          : designed === "rejected-negative-quantity"
            ? [{ productId: lines[0]?.productId ?? "", quantity: -between(random, 1, 5) }]
            : lines;
    const command = createEvent(
      "PlaceOrderRequested",
      {
        orderId,
        customerId,
        items,
        shippingAddress: {
          line1: `${between(random, 1, 200)} Main Street`,
          city: where.city,
          postalCode: designed === "delivery-impossible" ? "00000" : where.postalCode,
          country: where.country,
        },
        paymentToken:
          designed === "payment-declined"
            ? "tok_declined"
            : designed === "payment-no-answer"
              ? "tok_no_answer"
              : "tok_visa",
      },
      { source: "duplex.storefront" },
    );
    orders.push({ command, orderId, designed });
    if (orderId === id("o", n)) placed.push(orderId);
  }
  return { customers, restocks, initialStock, orders };
}

/** The status a designed order must end in (for the summary's per-kind check). */
export function expectedStatus(designed: OrderOutcome): "COMPLETED" | "CANCELLED" | "REJECTED" {
  switch (designed) {
    case "complete":
      return "COMPLETED";
    case "payment-declined":
    case "payment-no-answer":
    case "out-of-stock":
    case "delivery-impossible":
      return "CANCELLED";
    case "rejected-unknown-product":
    case "rejected-negative-quantity":
    case "rejected-unknown-customer":
    case "rejected-duplicate-order":
      return "REJECTED";
    default: {
      const unreachable: never = designed;
      return unreachable;
    }
  }
}
