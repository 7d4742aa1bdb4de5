/**
 * Order fulfilment on the real local stack: the command handlers, the saga and the projectors run
 * in the functions host; commands go through both lanes. One session (namespace) for the file.
 */
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventInput } from "../../events/create.ts";
import { createEvent } from "../../events/create.ts";
import type { PaymentState } from "../../functions/domain/payments.ts";
import type { ProductState } from "../../functions/domain/products.ts";
import type { ReservationState } from "../../functions/domain/reservations.ts";
import { LocalSession } from "../../localstack/host/session.ts";

let duplex: LocalSession;
const run = Date.now().toString(36);
const customerId = `c-${run}`;
const ample = `p-${run}`;
const scarce = `scarce-${run}`;
let n = 0;

const sagaEnv = {
  DUPLEX_SAGA_PAYMENT_TIMEOUT_SECONDS: "3",
  DUPLEX_SAGA_INVENTORY_TIMEOUT_SECONDS: "30",
  DUPLEX_SAGA_DELIVERY_TIMEOUT_SECONDS: "30",
  DUPLEX_SAGA_STEP_TIMEOUT_SECONDS: "30",
};

beforeAll(async () => {
  duplex = await LocalSession.start({
    settings: { fastLaneDeadlineSeconds: 15 },
    functionEnv: { "order-saga": sagaEnv, "saga-sweeper": sagaEnv },
  });
  await duplex.publish([
    createEvent("RegisterCustomerRequested", { customerId, name: "Ada", email: "ada@example.com" }),
    createEvent("RestockProductRequested", {
      productId: ample,
      name: "Kettle",
      unitPriceCents: 1999,
      quantity: 100,
    }),
    createEvent("RestockProductRequested", {
      productId: scarce,
      name: "Limited",
      unitPriceCents: 50_000,
      quantity: 1,
    }),
  ]);
  const readModels = duplex.readModels();
  await duplex.waitFor(
    "seed data",
    async () =>
      (await readModels.get("inventory-levels", ample)) !== undefined &&
      (await readModels.get("inventory-levels", scarce)) !== undefined &&
      (await readModels.get("customer-orders", customerId)) !== undefined,
  );
}, 120_000);

afterAll(async () => {
  await duplex?.stop({ deleteTopics: true });
});

function order(overrides: Partial<EventInput<"PlaceOrderRequested">> = {}) {
  n++;
  return createEvent("PlaceOrderRequested", {
    orderId: `o-${run}-${n}`,
    customerId,
    items: [{ productId: ample, quantity: 2 }],
    shippingAddress: { line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" },
    paymentToken: "tok_visa",
    ...overrides,
  });
}

async function until(orderId: string, statuses: string[], timeoutMs = 45_000) {
  const readModels = duplex.readModels();
  return duplex.waitFor(
    `order ${orderId} in ${statuses.join("/")}`,
    async () => {
      const summary = await readModels.get("order-summary", orderId);
      return summary !== undefined && statuses.includes(String(summary.status))
        ? summary
        : undefined;
    },
    timeoutMs,
  );
}

async function aggregate<S>(key: string): Promise<S | undefined> {
  const item = await duplex.store("aggregates").load<S | undefined>(key, undefined);
  return item.exists ? item.state : undefined;
}

describe("order fulfilment", () => {
  it("happy path: reserved, paid, scheduled, shipped, completed", async () => {
    const command = order();
    const before = await aggregate<ProductState>(`Product#${ample}`);
    await duplex.publish([command]);
    const summary = await until(command.data.orderId, ["COMPLETED", "CANCELLED"]);
    expect(summary).toMatchObject({
      status: "COMPLETED",
      inventory: "SHIPPED",
      payment: "CAPTURED",
      delivery: "SCHEDULED",
      totalCents: 3998,
    });
    const after = await aggregate<ProductState>(`Product#${ample}`);
    expect(after?.shipped).toBe((before?.shipped ?? 0) + 2);
    expect(after?.reserved).toBe(before?.reserved ?? 0);
    expect(await aggregate<PaymentState>(`Payment#${command.data.orderId}`)).toMatchObject({
      status: "captured",
      amountCents: 3998,
    });
  });

  it("payment declined: the reservation is released and the order cancelled", async () => {
    const command = order({ paymentToken: "tok_declined" });
    await duplex.publish([command]);
    const summary = await until(command.data.orderId, ["COMPLETED", "CANCELLED"]);
    expect(summary).toMatchObject({
      status: "CANCELLED",
      cancellation: { code: "PAYMENT_FAILED" },
      inventory: "RELEASED",
      payment: "FAILED",
    });
    expect(await aggregate<ReservationState>(`Reservation#${command.data.orderId}`)).toMatchObject({
      status: "released",
    });
  });

  it("inventory shortage: cancelled without any payment", async () => {
    const command = order({ items: [{ productId: scarce, quantity: 2 }] });
    await duplex.publish([command]);
    const summary = await until(command.data.orderId, ["COMPLETED", "CANCELLED"]);
    expect(summary).toMatchObject({ status: "CANCELLED", cancellation: { code: "OUT_OF_STOCK" } });
    expect(summary.payment).toBeUndefined();
    expect(await aggregate<PaymentState>(`Payment#${command.data.orderId}`)).toBeUndefined();
  });

  it("delivery impossible: the payment is refunded, the stock released, the order cancelled", async () => {
    const command = order({
      shippingAddress: { line1: "1 Nowhere", city: "Nowhere", postalCode: "00000", country: "DE" },
    });
    await duplex.publish([command]);
    const summary = await until(command.data.orderId, ["COMPLETED", "CANCELLED"]);
    expect(summary).toMatchObject({
      status: "CANCELLED",
      cancellation: { code: "DELIVERY_FAILED" },
      payment: "REFUNDED",
      refundedCents: 3998,
      inventory: "RELEASED",
      delivery: "FAILED",
    });
  });

  it("timeout: a payment that never answers is compensated by the saga's deadline sweep", async () => {
    const command = order({ paymentToken: "tok_no_answer" });
    const started = Date.now();
    await duplex.publish([command]);
    const summary = await until(command.data.orderId, ["COMPLETED", "CANCELLED"]);
    expect(summary).toMatchObject({
      status: "CANCELLED",
      cancellation: { code: "PAYMENT_TIMEOUT" },
      payment: "PENDING",
      inventory: "RELEASED",
    });
    // The deadline is 3 s after the payment was asked for: not before.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
  });

  it("bad input is rejected with a domain event, never retried: unknown product, negative quantity, duplicate id, unknown customer", async () => {
    const placed = order();
    await duplex.publish([placed]);
    await until(placed.data.orderId, ["PLACED", "COMPLETED", "CANCELLED"]);
    const unknownProduct = order({ items: [{ productId: `ghost-${run}`, quantity: 1 }] });
    const negative = order({ items: [{ productId: ample, quantity: -3 }] });
    const unknownCustomer = order({ customerId: `nobody-${run}` });
    const duplicate = order({ orderId: placed.data.orderId, paymentToken: "tok_declined" });
    await duplex.publish([unknownProduct, negative, unknownCustomer, duplicate]);
    const codes = await Promise.all(
      [unknownProduct, negative, unknownCustomer].map(async (c) => {
        const summary = await until(c.data.orderId, ["REJECTED"]);
        return (summary.rejection as { code: string }).code;
      }),
    );
    expect(codes).toEqual(["UNKNOWN_PRODUCT", "INVALID_QUANTITY", "UNKNOWN_CUSTOMER"]);
    const readModels = duplex.readModels();
    const timeline = await duplex.waitFor("the duplicate's rejection", async () => {
      const items = await readModels.items("order-summary", placed.data.orderId);
      return items.some((i) => i.eventType === "OrderRejected") ? items : undefined;
    });
    expect(timeline.find((i) => i.eventType === "OrderRejected")?.detail).toMatch(/^duplicate/);
    // The original order is unaffected by its duplicate.
    expect((await until(placed.data.orderId, ["COMPLETED"]))?.status).toBe("COMPLETED");
    // Rejections are facts, not failures: every rejected command is recorded as handled, and
    // nothing went to the order commands' dead-letter queue.
    const ledger = duplex.ledger();
    for (const c of [unknownProduct, negative, unknownCustomer, duplicate]) {
      expect((await ledger.get(c.eventId))?.status, c.data.orderId).toBe("handled");
    }
    const dlq = duplex.resources.commandQueues.PlaceOrderRequested?.dlq.url ?? "";
    const { Attributes } = await duplex.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: dlq,
        AttributeNames: ["ApproximateNumberOfMessages"],
      }),
    );
    expect(Attributes?.ApproximateNumberOfMessages).toBe("0");
  });

  it("a replay of the log from offset 0 leaves every read model unchanged", async () => {
    const host = duplex.host;
    if (host === undefined) throw new Error("no host");
    const readModels = duplex.readModels();
    // Every consumer has read everything: what is in the views now is what the log says.
    await duplex.settle();
    const projectors = [
      "order-summary",
      "inventory-levels",
      "customer-orders",
      "sales-analytics",
    ] as const;
    const before = new Map<string, Map<string, Record<string, unknown>>>();
    for (const name of projectors) {
      await host.pauseTriggers(`${name}-projector`);
      before.set(name, await readModels.all(name, 1));
    }
    const invocationsBefore = host.stats().functions["order-summary-projector"]?.invocations ?? 0;
    for (const name of projectors) {
      for (const { groupId, topic } of host
        .consumers()
        .filter((c) => c.functionName === `${name}-projector`)) {
        const offsets = await duplex.admin.topicOffsets(topic);
        await duplex.admin.setGroupOffsets(
          groupId,
          topic,
          offsets.map((o) => ({ partition: o.partition, offset: o.low })),
        );
      }
      host.resumeTriggers(`${name}-projector`);
    }
    // Wait until every projector consumed the whole log again.
    await duplex.waitFor(
      "projectors to re-read the log",
      async () => {
        for (const name of projectors) {
          for (const { groupId, topic } of host
            .consumers()
            .filter((c) => c.functionName === `${name}-projector`)) {
            const [ends, committed] = await Promise.all([
              duplex.admin.topicOffsets(topic),
              duplex.admin.groupOffsets(groupId, [topic]),
            ]);
            for (const end of ends) {
              const at = committed.find((c) => c.partition === end.partition)?.offset ?? "0";
              if (BigInt(at) < BigInt(end.high)) return false;
            }
          }
        }
        return true;
      },
      60_000,
      500,
    );
    expect(host.stats().functions["order-summary-projector"]?.invocations ?? 0).toBeGreaterThan(
      invocationsBefore,
    );
    for (const name of projectors) {
      const after = await readModels.all(name, 1);
      expect(Object.fromEntries(after), name).toEqual(Object.fromEntries(before.get(name) ?? []));
    }
  });
});
