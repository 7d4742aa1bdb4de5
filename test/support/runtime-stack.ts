import { randomUUID } from "node:crypto";
import type { Message } from "@aws-sdk/client-sqs";
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from "@aws-sdk/client-sqs";
import { toEventBridgeEntry, toEventBridgeEvent } from "../../events/codecs/eventbridge.ts";
import { fromKafkaRecord } from "../../events/codecs/kafka.ts";
import { createEvent } from "../../events/create.ts";
import type { EventEnvelope } from "../../events/envelope.ts";
import type { AnyEvent } from "../../events/types.ts";
import type { IncomingRecord } from "../../functions/kit/log/port.ts";
import type { LocalSession } from "../../localstack/host/session.ts";

/**
 * Helpers for the runtime integration tests (test/int/runtime-*.int.test.ts): reading a session's
 * topics and queues, and seeding the domain. Everything here talks to the real local stack.
 */

/** Milliseconds since `start`, for the timings the tests print. */
export const since = (start: number) => Date.now() - start;

/** A line on stderr that shows up in the vitest output, for timings and observations. */
export function note(line: string): void {
  process.stderr.write(`[runtime] ${line}\n`);
}

/**
 * Every record of a session topic, read from the beginning through a fresh consumer group up to
 * the end offsets the topic had when the call started (so the call returns once it caught up).
 */
export async function readTopic(
  session: LocalSession,
  catalogTopic: string,
  timeoutMs = 30_000,
): Promise<IncomingRecord[]> {
  const topic = session.topic(catalogTopic);
  const ends = await session.admin.topicOffsets(topic);
  const target = new Map(
    ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]),
  );
  if (target.size === 0) return [];
  const records: IncomingRecord[] = [];
  const reached = new Map<number, bigint>();
  let caughtUp: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    caughtUp = resolve;
  });
  const consumer = session.log.consumer({
    groupId: `${session.topicPrefix}reader.${randomUUID()}`,
    topics: [topic],
    startFrom: "earliest",
    maxBatchSize: 1_000,
    maxWaitMs: 20,
  });
  const running = consumer.run(async (batch) => {
    records.push(...batch.records);
    const last = batch.records[batch.records.length - 1];
    if (last !== undefined) reached.set(batch.partition, BigInt(last.offset) + 1n);
    if ([...target].every(([p, high]) => (reached.get(p) ?? 0n) >= high)) caughtUp();
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      done,
      running.then(() => {
        throw new Error(`the reader of ${topic} stopped early`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`reading ${topic}: ${records.length} records in ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await consumer.stop();
    await running.catch(() => undefined);
  }
  return records.filter((r) => {
    const high = target.get(r.partition);
    return high !== undefined && BigInt(r.offset) < high;
  });
}

/** The events of a topic (records that do not decode are skipped). */
export async function readEvents(session: LocalSession, catalogTopic: string): Promise<AnyEvent[]> {
  const events: AnyEvent[] = [];
  for (const record of await readTopic(session, catalogTopic)) {
    try {
      events.push(fromKafkaRecord(record));
    } catch {
      // not an event (e.g. a poison record a test wrote on purpose)
    }
  }
  return events;
}

/** Header values of a record as strings. */
export function headersOf(record: IncomingRecord): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record.headers).map(([name, value]) => [name, value.toString("utf8")]),
  );
}

/** The SQS body an EventBridge rule delivers for a command. */
export function fastLaneBody(event: EventEnvelope, busName = "duplex-test"): string {
  return JSON.stringify(
    toEventBridgeEvent(toEventBridgeEntry(event, busName), {
      id: randomUUID(),
      account: "123456789012",
      region: "us-east-1",
    }),
  );
}

/** Sends bodies to a queue in one SendMessageBatch call (at most 10). */
export async function sendBodies(
  session: LocalSession,
  queueUrl: string,
  bodies: readonly string[],
): Promise<string[]> {
  const result = await session.sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body })),
    }),
  );
  if ((result.Failed ?? []).length > 0) {
    throw new Error(`SendMessageBatch failed: ${JSON.stringify(result.Failed)}`);
  }
  return (result.Successful ?? [])
    .sort((a, b) => Number(a.Id) - Number(b.Id))
    .map((s) => s.MessageId ?? "");
}

/**
 * Drains a queue (receive + delete) until it has been empty for `quietMs`, returning every
 * message with its attributes.
 */
export async function drainQueue(
  session: LocalSession,
  queueUrl: string,
  quietMs = 1_500,
): Promise<Message[]> {
  const messages: Message[] = [];
  let quietSince = Date.now();
  while (Date.now() - quietSince < quietMs) {
    const { Messages = [] } = await session.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
    );
    if (Messages.length === 0) {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    quietSince = Date.now();
    messages.push(...Messages);
    await session.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
  return messages;
}

/** Approximate visible + in-flight messages of a queue. */
export async function queueDepth(session: LocalSession, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await session.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** A message attribute's string value. */
export function attribute(message: Message, name: string): string | undefined {
  return message.MessageAttributes?.[name]?.StringValue;
}

/**
 * A registered customer and a stocked product, through the real command handlers (waits until
 * both aggregates exist).
 */
export async function seedCustomerAndProduct(
  session: LocalSession,
  options: { stock?: number; unitPriceCents?: number } = {},
): Promise<{ customerId: string; productId: string }> {
  const customerId = `c-${session.name}-${randomUUID().slice(0, 6)}`;
  const productId = `p-${session.name}-${randomUUID().slice(0, 6)}`;
  await session.publish([
    createEvent("RegisterCustomerRequested", {
      customerId,
      name: "Ada",
      email: "ada@example.com",
    }),
    createEvent("RestockProductRequested", {
      productId,
      name: "Kettle",
      unitPriceCents: options.unitPriceCents ?? 1_999,
      quantity: options.stock ?? 10,
    }),
  ]);
  const store = session.store("aggregates");
  await session.waitFor("the seeded customer and product", async () => {
    const [customer, product] = await Promise.all([
      store.load(`Customer#${customerId}`, null),
      store.load(`Product#${productId}`, null),
    ]);
    return customer.exists && product.exists;
  });
  return { customerId, productId };
}

/** A `PlaceOrderRequested` for a seeded customer and product. */
export function placeOrder(
  seed: { customerId: string; productId: string },
  orderId: string,
  options: { quantity?: number; paymentToken?: string } = {},
) {
  return createEvent("PlaceOrderRequested", {
    orderId,
    customerId: seed.customerId,
    items: [{ productId: seed.productId, quantity: options.quantity ?? 2 }],
    shippingAddress: { line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" },
    paymentToken: options.paymentToken ?? "tok_visa",
  });
}

/** Waits for an order's summary to reach a status. */
export function waitForOrderStatus(
  session: LocalSession,
  orderId: string,
  status: string,
  timeoutMs = 60_000,
) {
  const readModels = session.readModels();
  return session.waitFor(
    `order ${orderId} ${status}`,
    async () => {
      const view = await readModels.get("order-summary", orderId);
      return view?.status === status ? view : undefined;
    },
    timeoutMs,
  );
}

/**
 * Waits until every consumer group of the session's functions on `catalogTopic` has committed up
 * to the topic's current end, i.e. every function on that topic has settled everything written so
 * far (handled, skipped or dead-lettered).
 */
export async function waitForConsumers(
  session: LocalSession,
  catalogTopic: string,
  timeoutMs = 60_000,
): Promise<void> {
  const topic = session.topic(catalogTopic);
  const groups = (session.host?.logPollers ?? [])
    .filter((p) => p.groupId.endsWith(`.${catalogTopic}`))
    .map((p) => p.groupId);
  if (groups.length === 0) throw new Error(`no function of the session reads ${catalogTopic}`);
  const ends = await session.admin.topicOffsets(topic);
  await session.waitFor(
    `the consumers of ${catalogTopic} to catch up`,
    async () => {
      for (const group of groups) {
        const committed = await session.admin.groupOffsets(group, [topic]);
        for (const end of ends) {
          if (BigInt(end.high) === BigInt(end.low)) continue;
          const at = committed.find((c) => c.partition === end.partition)?.offset;
          if (at === null || at === undefined || BigInt(at) < BigInt(end.high)) return false;
        }
      }
      return true;
    },
    timeoutMs,
    250,
  );
}
