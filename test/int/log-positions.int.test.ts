/**
 * `LogProducer.send` reports where the broker put each record (the history checker compares these
 * positions with what it reads back): both adapters, several topics, partitions and keys in one
 * send, against the real broker.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createLogClient, type LogClientName } from "../../functions/kit/log/client.ts";
import type { IncomingRecord, LogAdmin, OutgoingRecord } from "../../functions/kit/log/port.ts";
import { readRanges, topicRanges } from "../../functions/kit/log-query/reader.ts";

const { kafkaBrokers } = inject("duplexEndpoints");
const suffix = randomUUID().slice(0, 8);
const topics = [`int-positions-a-${suffix}`, `int-positions-b-${suffix}`];
const replicas = kafkaBrokers.length >= 3 ? 3 : 1;

let admin: LogAdmin;

beforeAll(async () => {
  admin = createLogClient({
    brokers: kafkaBrokers,
    clientId: `int-${suffix}`,
    auth: "none",
  }).admin();
  await admin.createTopics(
    topics.map((name, i) => ({
      name,
      partitions: i === 0 ? 6 : 3,
      replicationFactor: replicas,
      configs: {},
    })),
  );
});

afterAll(async () => {
  await admin.deleteTopics(topics).catch(() => undefined);
  await admin.close();
});

/** Records for both topics and 9 keys, interleaved, each with a unique id header. */
function records(round: string): OutgoingRecord[] {
  return Array.from({ length: 45 }, (_, i) => ({
    topic: topics[i % 2] ?? "",
    key: `key-${i % 9}`,
    value: Buffer.from(JSON.stringify({ i })),
    headers: { ce_id: `${round}-${i}` },
  }));
}

describe.each<LogClientName>(["platformatic", "kafkajs"])("%s producer positions", (name) => {
  it("match what the log holds at each position, across two sends", async () => {
    const log = createLogClient(
      { brokers: kafkaBrokers, clientId: `int-${name}`, auth: "none" },
      name,
    );
    const producer = log.producer();
    const sent = [...records(`${name}-1`), ...records(`${name}-2`)];
    const positions = [
      ...(await producer.send(sent.slice(0, 45))),
      ...(await producer.send(sent.slice(45))),
    ];
    await producer.close();
    expect(positions).toHaveLength(sent.length);
    expect(positions.every((p) => p.offset !== "-1" && p.partition >= 0)).toBe(true);

    const read: IncomingRecord[] = [];
    const ranges = (await Promise.all(topics.map((topic) => topicRanges(admin, topic)))).flat();
    await readRanges({ log }, ranges, (record) => {
      read.push(record);
    });
    const byPosition = new Map(
      read.map((r) => [`${r.topic}:${r.partition}:${r.offset}`, r.headers.ce_id?.toString()]),
    );
    const mismatches = sent.flatMap((record, i) => {
      const p = positions[i];
      const found = byPosition.get(`${p?.topic}:${p?.partition}:${p?.offset}`);
      return found === record.headers.ce_id ? [] : [`${record.headers.ce_id} → ${found}`];
    });
    expect(mismatches).toEqual([]);
  });
});

describe("listOffsets", () => {
  it("gives, in one lookup for both topics, what the per-topic calls give (low, high, by time)", async () => {
    const platformatic = createLogClient({
      brokers: kafkaBrokers,
      clientId: `int-list-${suffix}`,
      auth: "none",
    }).admin();
    const producer = createLogClient({
      brokers: kafkaBrokers,
      clientId: `int-list-p-${suffix}`,
      auth: "none",
    }).producer();
    const at = Date.now() - 60_000;
    await producer.send(records("early").map((r) => ({ ...r, timestamp: at - 30_000 })));
    await producer.send(records("late").map((r) => ({ ...r, timestamp: at + 30_000 })));
    await producer.close();
    try {
      const listed = await platformatic.listOffsets({
        topics: [...topics, `int-positions-missing-${suffix}`],
        partitions: (topic, count) => (topic === topics[0] ? [0, count - 1] : []),
        timesMs: [at],
      });
      expect(listed.map((p) => [p.topic, p.partition])).toEqual([
        [topics[0], 0],
        [topics[0], 5],
      ]);
      const ends = await platformatic.topicOffsets(topics[0] ?? "");
      const byTime = await platformatic.offsetsAtTime(topics[0] ?? "", at);
      for (const p of listed) {
        const end = ends.find((e) => e.partition === p.partition);
        expect([p.low, p.high]).toEqual([end?.low, end?.high]);
        expect(p.atTimes).toEqual([byTime.find((t) => t.partition === p.partition)?.offset]);
      }
      const all = await platformatic.listOffsets({ topics: [topics[1] ?? ""] });
      expect(all.map((p) => p.partition)).toEqual([0, 1, 2]);
    } finally {
      await platformatic.close();
    }
  });
});
