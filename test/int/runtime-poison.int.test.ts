/**
 * A poison message lands in its dead-letter destination with its cause, while the rest of the
 * batch and of the queue/partition flows on — with Duplex's own functions in the local host:
 * - fast lane: malformed messages in a command queue (not JSON, a schema violation, a command the
 *   function does not handle) go straight to that queue's DLQ with `dlq_*` attributes; the valid
 *   messages of the same batch and the ones after are handled;
 * - log: malformed records on an event topic go to the `dead-letters` topic with `dlq_*` headers,
 *   once per consuming function; the valid record behind them on the same partition is handled.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toKafkaRecord } from "../../events/codecs/kafka.ts";
import { createEvent } from "../../events/create.ts";
import { DLQ_FIELDS } from "../../functions/kit/dead-letters.ts";
import { LocalSession } from "../../localstack/host/session.ts";
import {
  attribute,
  drainQueue,
  fastLaneBody,
  headersOf,
  note,
  queueDepth,
  readTopic,
  sendBodies,
  since,
  waitForConsumers,
} from "../support/runtime-stack.ts";
import { sampleEvent } from "../support/samples.ts";

let session: LocalSession;

beforeAll(async () => {
  const started = Date.now();
  session = await LocalSession.start({
    functions: [
      "customer-commands",
      "order-summary-projector",
      "customer-orders-projector",
      "sales-analytics-projector",
    ],
    settings: { logLevel: "WARN" },
  });
  note(`poison: session ${session.name} up in ${since(started)} ms`);
});

afterAll(async () => {
  await session?.stop({ deleteTopics: true });
});

const register = (tag: string) =>
  createEvent("RegisterCustomerRequested", {
    customerId: `c-${session.name}-${tag}`,
    name: `Customer ${tag}`,
    email: `${tag}@example.com`,
  });

describe("poison messages → their DLQ with the cause; the rest flows on", () => {
  it("fast lane: malformed messages go straight to the queue's DLQ; the batch and the queue go on", async () => {
    const queue = session.resources.commandQueues.RegisterCustomerRequested;
    if (queue === undefined) throw new Error("no queue");
    const valid = [register("v1"), register("v2"), register("v3")];
    const schemaViolation = JSON.parse(fastLaneBody(register("bad"))) as {
      detail: { data: Record<string, unknown> };
    };
    delete schemaViolation.detail.data.email;
    const poison = {
      notJson: "{this is not json",
      schema: JSON.stringify(schemaViolation),
      wrongType: fastLaneBody(sampleEvent("PlaceOrderRequested", { orderId: `o-${session.name}` })),
    };
    const t0 = Date.now();
    await sendBodies(session, queue.url, [
      fastLaneBody(valid[0] as (typeof valid)[0]),
      poison.notJson,
      poison.schema,
      fastLaneBody(valid[1] as (typeof valid)[0]),
      poison.wrongType,
      fastLaneBody(valid[2] as (typeof valid)[0]),
    ]);
    const store = session.store("aggregates");
    const registered = (command: (typeof valid)[0]) =>
      store.load(`Customer#${command.data.customerId}`, null).then((c) => c.exists);
    await session.waitFor("the valid commands of the batch handled", async () =>
      (await Promise.all(valid.map(registered))).every(Boolean),
    );
    const handledMs = since(t0);
    // The queue flows on: a command sent after the poison is handled too.
    const after = register("after");
    await sendBodies(session, queue.url, [fastLaneBody(after)]);
    await session.waitFor("the next command handled", () => registered(after));
    await session.waitFor(
      "the queue empty",
      async () => (await queueDepth(session, queue.url)) === 0,
    );

    const dead = await drainQueue(session, queue.dlq.url);
    const byBody = new Map(dead.map((m) => [m.Body, m]));
    expect(dead).toHaveLength(3);
    const expectations = [
      [poison.notJson, "MALFORMED_JSON", /SQS message body/],
      [poison.schema, "SCHEMA_VIOLATION", /email/],
      [
        poison.wrongType,
        "UNEXPECTED_EVENT_TYPE",
        /customer-commands does not handle PlaceOrderRequested/,
      ],
    ] as const;
    for (const [body, code, reason] of expectations) {
      const message = byBody.get(body);
      expect(message, code).toBeDefined();
      if (message === undefined) continue;
      expect(attribute(message, DLQ_FIELDS.code)).toBe(code);
      expect(attribute(message, DLQ_FIELDS.reason)).toMatch(reason);
      expect(attribute(message, DLQ_FIELDS.functionName)).toBe("customer-commands");
      expect(attribute(message, DLQ_FIELDS.source)).toBe(queue.arn);
      expect(attribute(message, DLQ_FIELDS.failedAt)).toBeTruthy();
      // Straight to the DLQ: received once, not after maxReceiveCount attempts.
      expect(message.Attributes?.ApproximateReceiveCount).toBe("1");
    }
    note(
      `poison: batch of 6 (3 poison) handled in ${handledMs} ms; DLQ reasons: ${expectations
        .map(([body]) => attribute(byBody.get(body) ?? {}, DLQ_FIELDS.reason))
        .join(" | ")}`,
    );
  }, 90_000);

  it("log: malformed records go to the dead-letters topic with dlq_* headers; the valid record behind them is handled", async () => {
    const orderId = `o-${session.name}-${randomUUID().slice(0, 4)}`;
    const valid = sampleEvent("OrderPlaced", { orderId, customerId: `c-${session.name}-log` });
    const good = toKafkaRecord(valid);
    const poisonRecords = [
      // A Duplex record whose value is not JSON.
      { ...good, headers: { ...good.headers, ce_id: randomUUID() }, value: Buffer.from("{oops") },
      // A record of a type the catalog does not know.
      { ...good, headers: { ...good.headers, ce_id: randomUUID(), ce_type: "OrderTeleported" } },
      // A record from a foreign producer: no CloudEvents headers at all.
      { topic: good.topic, key: orderId, value: Buffer.from('{"hello":"world"}'), headers: {} },
    ];
    const t0 = Date.now();
    // Same key → same partition: the poison sits in front of the valid record.
    await session.producer.send([...poisonRecords, good]);
    const summary = await session.waitFor("the valid record projected", () =>
      session.readModels().get("order-summary", orderId),
    );
    const handledMs = since(t0);
    expect(summary.status).toBe("PLACED");
    await waitForConsumers(session, "order-events");

    const consumers = [
      "order-summary-projector",
      "customer-orders-projector",
      "sales-analytics-projector",
    ];
    const dead = (await readTopic(session, "dead-letters"))
      .map((r) => ({ record: r, headers: headersOf(r) }))
      .filter((d) => d.record.key?.toString() === orderId);
    expect(dead).toHaveLength(poisonRecords.length * consumers.length);
    for (const fn of consumers) {
      const mine = dead.filter((d) => d.headers[DLQ_FIELDS.functionName] === fn);
      expect(
        mine.map((d) => d.record.value?.toString()),
        fn,
      ).toEqual(poisonRecords.map((r) => r.value.toString()));
      expect(
        mine.map((d) => d.headers[DLQ_FIELDS.code]),
        fn,
      ).toEqual(["MALFORMED_JSON", "UNKNOWN_EVENT_TYPE", expect.any(String)]);
      for (const { headers } of mine) {
        expect(headers[DLQ_FIELDS.reason]).toBeTruthy();
        expect(headers[DLQ_FIELDS.topic]).toBe(session.topic("order-events"));
        expect(headers[DLQ_FIELDS.partition]).toMatch(/^\d+$/);
        expect(headers[DLQ_FIELDS.offset]).toMatch(/^\d+$/);
        expect(headers[DLQ_FIELDS.source]).toBe("log");
      }
      // The original headers travel with the payload.
      expect(mine[1]?.headers.ce_type).toBe("OrderTeleported");
    }
    note(
      `poison: 3 poison records ahead of a valid one, valid projected after ${handledMs} ms; reasons: ${dead
        .filter((d) => d.headers[DLQ_FIELDS.functionName] === consumers[0])
        .map((d) => `${d.headers[DLQ_FIELDS.code]}: ${d.headers[DLQ_FIELDS.reason]}`)
        .join(" | ")}`,
    );
  }, 90_000);
});
