/**
 * The log lane against a real Kafka broker: keyed records produced with acks=all to a topic
 * with several partitions come back, through a consumer group, in order per key.
 */
import { randomUUID } from "node:crypto";
import {
  Admin,
  Consumer,
  type Message,
  ProduceAcks,
  Producer,
  stringDeserializers,
  stringSerializers,
} from "@platformatic/kafka";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const { kafkaBrokers } = inject("duplexEndpoints");
const suffix = randomUUID().slice(0, 8);
const topic = `int-log-order-${suffix}`;
const PARTITIONS = 6;
const KEYS = Array.from({ length: 12 }, (_, i) => `order-${i}`);
const PER_KEY = 25;

let admin: Admin;

beforeAll(async () => {
  admin = new Admin({ clientId: `int-admin-${suffix}`, bootstrapBrokers: kafkaBrokers });
  const replicas = kafkaBrokers.length >= 3 ? 3 : 1;
  await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas });
});

afterAll(async () => {
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.close();
});

describe("Kafka log (real broker)", () => {
  it("created the topic with several partitions", async () => {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
    expect(metadata.topics.get(topic)?.partitionsCount).toBe(PARTITIONS);
  });

  it("keeps per-key order through a consumer group (acks=all, idempotent producer)", async () => {
    const producer = new Producer({
      clientId: `int-producer-${suffix}`,
      bootstrapBrokers: kafkaBrokers,
      serializers: stringSerializers,
      acks: ProduceAcks.ALL,
      idempotent: true,
      autocreateTopics: false,
    });
    // Interleave keys so that each partition receives several keys, each in sequence.
    const sent: { key: string; seq: number }[] = [];
    for (let seq = 0; seq < PER_KEY; seq++) {
      const batch = KEYS.map((key) => ({ topic, key, value: JSON.stringify({ key, seq }) }));
      await producer.send({ messages: batch });
      for (const key of KEYS) sent.push({ key, seq });
    }
    await producer.close();

    const consumer = new Consumer({
      clientId: `int-consumer-${suffix}`,
      groupId: `int-group-${suffix}`,
      bootstrapBrokers: kafkaBrokers,
      deserializers: stringDeserializers,
    });
    const received: { key: string; seq: number; partition: number }[] = [];
    const stream = await consumer.consume({
      topics: [topic],
      mode: "earliest",
      autocommit: true,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`received ${received.length}/${sent.length} records in 45 s`)),
        45_000,
      );
      stream.on("data", (message: Message<string, string, string, string>) => {
        const value = JSON.parse(message.value) as { key: string; seq: number };
        expect(value.key).toBe(message.key);
        received.push({ ...value, partition: message.partition });
        if (received.length === sent.length) {
          clearTimeout(timer);
          resolve();
        }
      });
      stream.on("error", (error: Error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    await stream.close();
    await consumer.close();

    expect(received).toHaveLength(KEYS.length * PER_KEY);
    const partitionsUsed = new Set(received.map((r) => r.partition));
    expect(partitionsUsed.size).toBeGreaterThan(1);
    for (const key of KEYS) {
      const ofKey = received.filter((r) => r.key === key);
      // one key, one partition, and its sequence numbers in order
      expect(new Set(ofKey.map((r) => r.partition)).size).toBe(1);
      expect(ofKey.map((r) => r.seq)).toEqual(Array.from({ length: PER_KEY }, (_, i) => i));
    }
  });
});
