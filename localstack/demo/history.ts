import { toKafkaRecord } from "../../events/codecs/kafka.ts";
import { createEvent } from "../../events/create.ts";
import type { EventEnvelope } from "../../events/envelope.ts";
import { findEventDefinition } from "../../events/registry.ts";
import type { AnyEvent, CriticalCommandName, EventTypeName } from "../../events/types.ts";
import * as customers from "../../functions/domain/customers.ts";
import * as deliveries from "../../functions/domain/deliveries.ts";
import type { EventDraft } from "../../functions/domain/drafts.ts";
import * as inventory from "../../functions/domain/inventory.ts";
import * as sagas from "../../functions/domain/order-saga.ts";
import * as orders from "../../functions/domain/orders.ts";
import * as payments from "../../functions/domain/payments.ts";
import type { ProductState } from "../../functions/domain/products.ts";
import type { ReservationState } from "../../functions/domain/reservations.ts";
import type { LogProducer, OutgoingRecord } from "../../functions/kit/log/port.ts";
import { between, pick, seededRandom } from "./random.ts";

/**
 * Realistic order-fulfilment history, made by the domain itself: commands go through the real
 * deciders and the real saga (in memory, no AWS, no handlers), so every event is one the system
 * would have written — the catalog's types in valid sequences, facts numbered per aggregate,
 * correlation and causation ids linking each flow from its first command. Flows interleave in
 * simulated time over `spanMs` (ending now), with many customers and products, and fail the ways
 * real ones do (declined payments, stock running out, unserviceable addresses, unknown products).
 *
 * Used by the rebuild benchmark and drills (`npm run history`), and by the integration tests.
 */
export interface HistoryOptions {
  /** Events to produce (commands and facts; a happy flow is 13). */
  readonly events: number;
  readonly customers?: number;
  readonly products?: number;
  /** Simulated time the history covers, ending at `endMs` (default 12 h). */
  readonly spanMs?: number;
  readonly endMs?: number;
  readonly seed?: number;
  /** Put in every id (`o-<ns>7`), so histories written one after another never share an aggregate. */
  readonly idNamespace?: string;
}

/** One event of the history, with the time it happened (its log timestamp). */
export interface HistoryEvent {
  readonly event: EventEnvelope;
  readonly atMs: number;
}

interface Pending {
  readonly atMs: number;
  readonly command: AnyEvent;
  readonly seq: number;
}

const COUNTRIES = ["DE", "AT", "FR", "NL", "ES", "IT", "GB", "US"];

/**
 * Yields the history in time order, `batchSize` events at a time.
 *
 * @example
 * ```ts
 * for (const batch of orderHistory({ events: 100_000 }, 5_000)) await write(batch);
 * ```
 */
export function* orderHistory(
  options: HistoryOptions,
  batchSize = 5_000,
): Generator<HistoryEvent[]> {
  const random = seededRandom(options.seed ?? 1);
  const ns = options.idNamespace ?? "";
  const customerCount = options.customers ?? Math.max(10, Math.round(options.events / 200));
  const productCount =
    options.products ?? Math.max(5, Math.min(2_000, Math.round(options.events / 2_000)));
  const endMs = options.endMs ?? Date.now();
  const spanMs = options.spanMs ?? 12 * 3_600_000;
  const startMs = endMs - spanMs;
  const flowsWanted = Math.ceil(options.events / 12);
  const flowGapMs = spanMs / (flowsWanted + 10);

  const sequences = new Map<string, number>();
  const orderStates = new Map<string, orders.OrderState>();
  const reservationStates = new Map<string, ReservationState>();
  const productStates = new Map<string, ProductState>();
  const paymentStates = new Map<string, payments.PaymentState>();
  const deliveryStates = new Map<string, deliveries.DeliveryState>();
  const sagaStates = new Map<string, sagas.OrderSagaState>();
  const customerStates = new Map<string, customers.CustomerState>();
  const productInfo = new Map<string, orders.ProductInfo>();

  // A binary heap of pending commands by time (ties: issue order).
  const heap: Pending[] = [];
  let issued = 0;
  const less = (a: Pending, b: Pending) => a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
  const push = (atMs: number, command: AnyEvent) => {
    heap.push({ atMs, command, seq: issued++ });
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i] as Pending, heap[parent] as Pending)) break;
      [heap[i], heap[parent]] = [heap[parent] as Pending, heap[i] as Pending];
      i = parent;
    }
  };
  const pop = (): Pending | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l] as Pending, heap[m] as Pending)) m = l;
        if (r < heap.length && less(heap[r] as Pending, heap[m] as Pending)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m] as Pending, heap[i] as Pending];
        i = m;
      }
    }
    return top;
  };

  // UUIDv7 ids from the simulated time, a counter and the seeded generator: unique, time-ordered,
  // reproducible, and without a system call per id.
  let idCounter = 0;
  const eventIdAt = (at: number): string => {
    const atMs = Math.floor(at);
    const hex = (n: number, digits: number) => n.toString(16).padStart(digits, "0");
    const count = idCounter++;
    const rand = Math.floor(random() * 0x1000000);
    return `${hex(Math.floor(atMs / 0x10000), 8)}-${hex(atMs % 0x10000, 4)}-7${hex(count % 0x1000, 3)}-${hex(0x8000 | (Math.floor(count / 0x1000) % 0x4000), 4)}-${hex(Math.floor(count / 0x4000000) % 0x1000000, 6)}${hex(rand, 6)}`;
  };

  let out: HistoryEvent[] = [];
  let produced = 0;
  const emit = (event: AnyEvent, atMs: number) => {
    out.push({ event, atMs });
    produced++;
  };
  const command = <T extends CriticalCommandName>(
    draft: EventDraft<T>,
    atMs: number,
    causedBy?: AnyEvent,
  ) => {
    const event = createEvent(draft.eventType, draft.data as never, {
      eventId: eventIdAt(atMs),
      occurredAt: new Date(atMs),
      ...(causedBy === undefined ? {} : { causedBy }),
    }) as unknown as AnyEvent;
    emit(event, atMs);
    push(atMs + between(random, 5, 400), event);
  };
  const facts = (drafts: readonly EventDraft[], cause: AnyEvent, atMs: number): AnyEvent[] =>
    drafts.map((d) => {
      const definition = findEventDefinition(d.eventType);
      const aggregateId = String(
        (d.data as Record<string, unknown>)[definition?.aggregateIdField ?? ""],
      );
      const key = `${definition?.aggregateType}#${aggregateId}`;
      const sequence = (sequences.get(key) ?? 0) + 1;
      sequences.set(key, sequence);
      const event = createEvent(d.eventType as EventTypeName, d.data as never, {
        eventId: eventIdAt(atMs),
        causedBy: cause,
        occurredAt: new Date(atMs),
        sequence,
      }) as unknown as AnyEvent;
      emit(event, atMs);
      return event;
    });

  const react = (fact: AnyEvent, atMs: number) => {
    const orderId = sagas.sagaIdOf(fact as never);
    if (orderId === undefined) return;
    const reaction = sagas.react(sagaStates.get(orderId), fact as never, new Date(atMs));
    if (reaction.state === undefined) return;
    if (sagas.isTerminal(reaction.state.status)) {
      for (const states of [sagaStates, orderStates, reservationStates, paymentStates]) {
        states.delete(orderId);
      }
      deliveryStates.delete(orderId);
    } else sagaStates.set(orderId, reaction.state);
    for (const next of reaction.commands) command(next, atMs, fact);
  };

  /** One aggregate decides a command: its facts are emitted and folded into its state. */
  const step = <S>(
    states: Map<string, S>,
    id: string,
    initial: S,
    decide: (state: S) => readonly EventDraft[],
    evolve: (state: S, fact: never) => S,
    cause: AnyEvent,
    atMs: number,
  ): AnyEvent[] => {
    const state = states.get(id) ?? initial;
    const made = facts(decide(state), cause, atMs);
    states.set(
      id,
      made.reduce((s, e) => evolve(s, e as never), state),
    );
    return made;
  };

  const handle = (pending: Pending) => {
    const { command: cmd, atMs } = pending;
    const now = new Date(atMs);
    let made: AnyEvent[] = [];
    switch (cmd.eventType) {
      case "RegisterCustomerRequested":
        made = step(
          customerStates,
          cmd.data.customerId,
          customers.initialState,
          (state) => customers.decide(state, cmd, undefined, now),
          customers.evolve,
          cmd,
          atMs,
        );
        break;
      case "PlaceOrderRequested":
      case "CancelOrderRequested":
      case "CompleteOrderRequested": {
        const context =
          cmd.eventType === "PlaceOrderRequested"
            ? {
                customerExists: customerStates.get(cmd.data.customerId)?.status === "registered",
                products: Object.fromEntries(
                  cmd.data.items.map((i) => [i.productId, productInfo.get(i.productId)]),
                ),
              }
            : undefined;
        made = step(
          orderStates,
          cmd.data.orderId,
          orders.initialState,
          (state) => orders.decide(state, cmd, context, now),
          orders.evolve,
          cmd,
          atMs,
        );
        break;
      }
      case "RestockProductRequested":
      case "ReserveInventoryRequested":
      case "ReleaseInventoryRequested":
      case "CommitInventoryRequested": {
        const reservationId =
          cmd.eventType === "RestockProductRequested" ? undefined : cmd.data.orderId;
        const reservation =
          reservationId === undefined
            ? undefined
            : (reservationStates.get(reservationId) ?? inventory.initialState.reservation);
        const productIds =
          cmd.eventType === "RestockProductRequested"
            ? [cmd.data.productId]
            : cmd.eventType === "ReserveInventoryRequested"
              ? cmd.data.items.map((i) => i.productId)
              : [];
        const reservedIds =
          reservation !== undefined && "items" in reservation
            ? (reservation.items as readonly { productId: string }[]).map((i) => i.productId)
            : [];
        const state: inventory.InventoryState = {
          reservation: reservation ?? inventory.initialState.reservation,
          products: Object.fromEntries(
            [...productIds, ...reservedIds].map((p) => [p, productStates.get(p)]),
          ),
        };
        made = facts(inventory.decide(state, cmd, undefined, now), cmd, atMs);
        const next = made.reduce((s, e) => inventory.evolve(s, e as never), state);
        if (reservationId !== undefined) reservationStates.set(reservationId, next.reservation);
        for (const [p, s] of Object.entries(next.products)) if (s) productStates.set(p, s);
        break;
      }
      case "ProcessPaymentRequested":
      case "RefundPaymentRequested": {
        const orderStatus = (orderStates.get(cmd.data.orderId) ?? orders.initialState).status;
        made = step(
          paymentStates,
          cmd.data.orderId,
          payments.initialState,
          (state) => payments.decide(state, cmd, { orderStatus }, now),
          payments.evolve,
          cmd,
          atMs,
        );
        break;
      }
      case "ScheduleDeliveryRequested":
        made = step(
          deliveryStates,
          cmd.data.orderId,
          deliveries.initialState,
          (state) => deliveries.decide(state, cmd, undefined, now),
          deliveries.evolve,
          cmd,
          atMs,
        );
        break;
      default:
        break;
    }
    let at = atMs;
    for (const fact of made) {
      at += 1;
      react(fact, at);
    }
  };

  // The catalogue and the customers come first.
  let clock = startMs;
  for (let p = 0; p < productCount; p++) {
    const productId = `p-${ns}${p}`;
    const unitPriceCents = between(random, 199, 19_999);
    productInfo.set(productId, { name: `Product ${p}`, unitPriceCents });
    command(
      {
        eventType: "RestockProductRequested",
        data: { productId, name: `Product ${p}`, unitPriceCents, quantity: 100_000 },
      } as EventDraft<"RestockProductRequested">,
      clock++,
    );
  }
  for (let c = 0; c < customerCount; c++) {
    command(
      {
        eventType: "RegisterCustomerRequested",
        data: { customerId: `c-${ns}${c}`, name: `Customer ${c}`, email: `c${c}@example.com` },
      } as EventDraft<"RegisterCustomerRequested">,
      clock++,
    );
  }
  let flows = 0;
  let nextFlowAt = clock + 1_000;
  for (;;) {
    // Start flows up to the time of the next pending command, then handle that command.
    while (
      produced < options.events &&
      (heap.length === 0 || nextFlowAt <= (heap[0] as Pending).atMs)
    ) {
      const orderId = `o-${ns}${flows}`;
      const lines = between(random, 1, 4);
      const roll = random();
      const items = Array.from({ length: lines }, () => ({
        productId:
          roll < 0.01
            ? `p-unknown-${ns}${flows}`
            : `p-${ns}${between(random, 0, productCount - 1)}`,
        quantity: between(random, 1, 3),
      }));
      const country = pick(random, COUNTRIES);
      command(
        {
          eventType: "PlaceOrderRequested",
          data: {
            orderId,
            customerId: `c-${ns}${between(random, 0, customerCount - 1)}`,
            items,
            shippingAddress: {
              line1: `${between(random, 1, 200)} Main St`,
              city: "Springfield",
              postalCode: roll > 0.97 ? deliveries.UNSERVICEABLE_POSTAL_CODE : "10115",
              country,
            },
            paymentToken: roll > 0.93 && roll <= 0.97 ? payments.DECLINED_TOKEN : "tok_visa",
            currency: "EUR",
          },
        } as EventDraft<"PlaceOrderRequested">,
        nextFlowAt,
      );
      flows++;
      nextFlowAt += Math.round(flowGapMs * (0.5 + random()));
    }
    const pending = pop();
    if (pending === undefined) break;
    handle(pending);
    if (out.length >= batchSize) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}

/** What {@link writeHistory} did. */
export interface HistoryWritten {
  readonly events: number;
  readonly byType: Readonly<Record<string, number>>;
  readonly firstMs: number;
  readonly lastMs: number;
  readonly elapsedMs: number;
  /** Flows started (one PlaceOrderRequested each), with the first flow's correlation id. */
  readonly flows: number;
  readonly sampleCorrelationIds: readonly string[];
  readonly sampleOrderIds: readonly string[];
}

/**
 * Writes a history onto the log at full speed: batches of records, one send in flight (so order
 * per partition, i.e. per aggregate, holds), each record stamped with the time its event
 * happened (Kafka CreateTime), so time lookups (`offsetsAtTime`) see the history's real spread.
 *
 * @example
 * ```ts
 * await writeHistory(session.producer, { events: 1_000_000 }, (n) => console.log(n));
 * ```
 */
export async function writeHistory(
  producer: LogProducer,
  options: HistoryOptions,
  onProgress?: (written: number) => void,
): Promise<HistoryWritten> {
  const started = Date.now();
  const byType: Record<string, number> = {};
  let events = 0;
  let firstMs = Number.POSITIVE_INFINITY;
  let lastMs = 0;
  let flows = 0;
  const sampleCorrelationIds: string[] = [];
  const sampleOrderIds: string[] = [];
  let sending: Promise<unknown> = Promise.resolve();
  for (const batch of orderHistory(options, 5_000)) {
    const records: OutgoingRecord[] = batch.map(({ event, atMs }) => {
      byType[event.eventType] = (byType[event.eventType] ?? 0) + 1;
      if (event.eventType === "PlaceOrderRequested") {
        flows++;
        // Every 97th flow, to sample the whole span.
        if (flows % 97 === 1 && sampleCorrelationIds.length < 50) {
          sampleCorrelationIds.push(event.correlationId);
          sampleOrderIds.push(event.aggregateId);
        }
      }
      firstMs = Math.min(firstMs, atMs);
      lastMs = Math.max(lastMs, atMs);
      return { ...toKafkaRecord(event), timestamp: Math.floor(atMs) };
    });
    // Encode the next batch while the previous one is in flight, but keep one send at a time.
    await sending;
    sending = producer.send(records);
    events += records.length;
    onProgress?.(events);
  }
  await sending;
  return {
    events,
    byType,
    firstMs,
    lastMs,
    elapsedMs: Date.now() - started,
    flows,
    sampleCorrelationIds,
    sampleOrderIds,
  };
}
