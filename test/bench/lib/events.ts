import { randomUUID } from "node:crypto";
import { toEventBridgeEntry, toEventBridgeEvent } from "../../../events/codecs/eventbridge.ts";
import { kafkaRecordSize, toKafkaRecord } from "../../../events/codecs/kafka.ts";
import { createEvent } from "../../../events/create.ts";
import type { EventOf } from "../../../events/types.ts";

/**
 * The "typical ~1 KB event" of every suite: an `OrderPlaced` (a fact, log lane only) and a
 * `PlaceOrderRequested` (a critical command, both lanes) with realistic ids and enough order lines
 * that the whole Kafka record (key + value + CloudEvents headers) is about 1,024 bytes.
 */

export const TARGET_RECORD_BYTES = 1024;

function lines(count: number) {
  return Array.from({ length: count }, (_, i) => ({
    productId: `sku-${String(100_000 + i * 7919).padStart(8, "0")}`,
    quantity: 1 + (i % 3),
  }));
}

function pricedLines(count: number) {
  return lines(count).map((line, i) => ({ ...line, unitPriceCents: 1_250 + i * 101 }));
}

const address = {
  line1: "Friedrichstraße 123, Hinterhaus 4. OG",
  city: "Berlin",
  postalCode: "10117",
  country: "DE",
};

export function orderPlaced(itemCount: number, orderId = `ord-${randomUUID()}`) {
  const items = pricedLines(itemCount);
  return createEvent("OrderPlaced", {
    orderId,
    customerId: `cus-${randomUUID()}`,
    items,
    totalCents: items.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0),
    shippingAddress: address,
    paymentToken: "tok_1QxY2bLkdIwHu7ixTsN0aBcD",
    currency: "EUR",
  });
}

export function placeOrderRequested(itemCount: number, orderId = `ord-${randomUUID()}`) {
  return createEvent("PlaceOrderRequested", {
    orderId,
    customerId: `cus-${randomUUID()}`,
    items: lines(itemCount),
    shippingAddress: address,
    paymentToken: "tok_1QxY2bLkdIwHu7ixTsN0aBcD",
    currency: "EUR",
  });
}

/** The line count that brings a type's Kafka record closest to 1 KB. */
function itemsFor1Kb(make: (items: number) => Parameters<typeof toKafkaRecord>[0]): number {
  let best = 1;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let items = 1; items <= 30; items++) {
    const distance = Math.abs(kafkaRecordSize(toKafkaRecord(make(items))) - TARGET_RECORD_BYTES);
    if (distance < bestDistance) {
      best = items;
      bestDistance = distance;
    }
  }
  return best;
}

export const ORDER_PLACED_ITEMS = itemsFor1Kb(orderPlaced);
export const PLACE_ORDER_ITEMS = itemsFor1Kb(placeOrderRequested);

/** A typical ~1 KB fact (log lane only). */
export function typicalFact(): EventOf<"OrderPlaced"> {
  return orderPlaced(ORDER_PLACED_ITEMS);
}

/** A typical ~1 KB critical command (log + fast lane). */
export function typicalCommand(): EventOf<"PlaceOrderRequested"> {
  return placeOrderRequested(PLACE_ORDER_ITEMS);
}

/** Sizes of an event on each lane, bytes. */
export function sizesOf(event: Parameters<typeof toKafkaRecord>[0]) {
  const record = toKafkaRecord(event);
  const entry = toEventBridgeEntry(event, "duplex-fast-lane");
  const sqsBody = JSON.stringify(toEventBridgeEvent(entry, { id: randomUUID() }));
  return {
    kafkaRecord: kafkaRecordSize(record),
    kafkaValue: record.value.length,
    eventBridgeDetail: Buffer.byteLength(entry.Detail),
    sqsBody: Buffer.byteLength(sqsBody),
  };
}
