import {
  compatibilityPartitioner,
  ProduceAcks,
  Producer,
  stringSerializer,
} from "@platformatic/kafka";
import kafkajs from "kafkajs";
import { kafkaRecordSize, toKafkaRecord } from "../../../events/codecs/kafka.ts";
import type { EventEnvelope } from "../../../events/envelope.ts";
import type { LogClientName } from "../../../functions/kit/log/client.ts";
import { namespacedProducer } from "../../../functions/kit/log/namespace.ts";
import type { LogProducer, OutgoingRecord } from "../../../functions/kit/log/port.ts";
import { Publisher } from "../../../functions/kit/publisher.ts";
import { typicalFact } from "../lib/events.ts";
import {
  fmt,
  fmtRatio,
  median,
  nowMs,
  progress,
  ratio,
  type SuiteReport,
  serpentine,
  table,
} from "../lib/harness.ts";
import { JAVA_PRODUCER_SETTINGS, javaProducerPerformance } from "../lib/java.ts";
import type { BenchLog } from "../lib/log.ts";

const { Kafka, logLevel, Partitioners } = kafkajs;

export interface PublishOptions {
  readonly records: number;
  readonly reps: number;
  /** Events per send/publish call. */
  readonly batch: number;
  /** Calls in flight at once. */
  readonly concurrency: number;
  readonly partitions: number;
  readonly java: boolean;
}

/** Catalog topic of the typical fact; the bench's copy lives under the run's prefix. */
const TOPIC = "order-events";

interface Variant {
  readonly name: string;
  readonly client: LogClientName | "java";
  readonly layer: "raw" | "adapter" | "publisher" | "java";
  run(
    records: number,
  ): Promise<{ recordsPerSec: number; cpuUsPerRecord?: number; extra?: Record<string, number> }>;
  close(): Promise<void>;
}

/**
 * A closed loop: `concurrency` callers each send the next batch as soon as their previous one is
 * acknowledged, until `records` have been sent. Returns records per second (wall clock) and the
 * CPU time this process spent per record (user + system, all threads).
 */
async function drive<T>(
  batches: readonly T[],
  batchSize: number,
  records: number,
  concurrency: number,
  send: (batch: T) => Promise<unknown>,
): Promise<{ recordsPerSec: number; cpuUsPerRecord: number }> {
  const calls = Math.ceil(records / batchSize);
  let next = 0;
  const cpu = process.cpuUsage();
  const start = nowMs();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < calls; i = next++) {
        const batch = batches[i % batches.length];
        if (batch !== undefined) await send(batch);
      }
    }),
  );
  const elapsed = nowMs() - start;
  const used = process.cpuUsage(cpu);
  return {
    recordsPerSec: (calls * batchSize) / (elapsed / 1000),
    cpuUsPerRecord: (used.user + used.system) / (calls * batchSize),
  };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function publishSuite(log: BenchLog, options: PublishOptions): Promise<SuiteReport> {
  const topic = await log.ensureTopic(TOPIC, options.partitions);
  const { batch, concurrency } = options;
  // Distinct aggregates (keys) spread over every partition; cycled through by every variant.
  const pool: EventEnvelope[] = Array.from({ length: Math.max(2_000, batch * 10) }, typicalFact);
  const encoded: OutgoingRecord[] = pool.map((e) => toKafkaRecord(e));
  const recordBytes = Math.round(
    encoded.reduce((n, r) => n + kafkaRecordSize({ ...r, topic: TOPIC }), 0) / encoded.length,
  );
  const eventBatches = chunk(pool, batch);
  const recordBatches = chunk(encoded, batch);
  const platformaticMessages = chunk(
    encoded.map((r) => ({ topic, key: r.key, value: r.value, headers: { ...r.headers } })),
    batch,
  );
  const kafkajsMessages = chunk(
    encoded.map((r) => ({ key: r.key, value: r.value, headers: { ...r.headers } })),
    batch,
  );
  const warmup = Math.min(options.records, Math.max(batch * concurrency * 4, 2_000));
  let sentByNode = 0;

  const noFastLane = {
    send: () => Promise.reject(new Error("the bench publishes facts only; no fast lane")),
  };

  const variants: Variant[] = [];

  // Raw @platformatic/kafka, configured exactly as the adapter configures it.
  const rawPlatformatic = new Producer({
    clientId: `${log.connection.clientId}-raw-platformatic`,
    bootstrapBrokers: [...log.brokers],
    idempotent: true,
    acks: ProduceAcks.ALL,
    partitioner: compatibilityPartitioner,
    serializers: {
      key: stringSerializer,
      headerKey: stringSerializer,
      headerValue: stringSerializer,
    },
    retries: 10,
    autocreateTopics: false,
  });
  variants.push({
    name: "@platformatic/kafka raw",
    client: "platformatic",
    layer: "raw",
    run: (n) =>
      drive(platformaticMessages, batch, n, concurrency, (messages) =>
        rawPlatformatic.send({ messages }),
      ),
    close: () => rawPlatformatic.close(),
  });

  // The same raw producer, encoding each event with the catalog codec per send (no validation, no
  // port): what any hand-written producer of these bytes would at least pay.
  variants.push({
    name: "@platformatic/kafka raw + toKafkaRecord per send",
    client: "platformatic",
    layer: "raw",
    run: (n) =>
      drive(eventBatches, batch, n, concurrency, (events) =>
        rawPlatformatic.send({
          messages: events.map((e) => {
            const r = toKafkaRecord(e);
            return {
              topic,
              key: r.key,
              value: r.value,
              headers: r.headers as Record<string, string>,
            };
          }),
        }),
      ),
    close: async () => undefined,
  });

  // Raw kafkajs, configured exactly as the adapter configures it.
  const rawKafkajs = new Kafka({
    clientId: `${log.connection.clientId}-raw-kafkajs`,
    brokers: [...log.brokers],
    logLevel: logLevel.ERROR,
  }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await rawKafkajs.connect();
  variants.push({
    name: "kafkajs raw",
    client: "kafkajs",
    layer: "raw",
    run: (n) =>
      drive(kafkajsMessages, batch, n, concurrency, (messages) =>
        rawKafkajs.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] }),
      ),
    close: () => rawKafkajs.disconnect(),
  });

  for (const client of ["platformatic", "kafkajs"] as const) {
    const adapter: LogProducer = namespacedProducer(log.client(client).producer(), log.prefix);
    variants.push({
      name: `port adapter (${client}), pre-encoded`,
      client,
      layer: "adapter",
      run: (n) => drive(recordBatches, batch, n, concurrency, (records) => adapter.send(records)),
      close: () => adapter.close(),
    });
    const producer: LogProducer = namespacedProducer(log.client(client).producer(), log.prefix);
    const publisher = new Publisher({ log: producer, fastLane: noFastLane });
    variants.push({
      name: `Duplex Publisher (${client})`,
      client,
      layer: "publisher",
      run: (n) => drive(eventBatches, batch, n, concurrency, (events) => publisher.publish(events)),
      close: () => producer.close(),
    });
  }

  if (options.java) {
    variants.push({
      name: "Java ProducerPerformance",
      client: "java",
      layer: "java",
      run: async (n) => {
        const result = await javaProducerPerformance({
          brokers: log.brokers,
          topic,
          records: n,
          warmupRecords: warmup,
          recordSize: 1024,
        });
        return {
          recordsPerSec: result.recordsPerSec,
          extra: { avgLatencyMs: result.avgLatencyMs, p99LatencyMs: result.p99LatencyMs },
        };
      },
      close: async () => undefined,
    });
  }

  // Neighbours here are the pairs compared in the ratios, so they always run back to back.
  const ORDER = [
    "Java ProducerPerformance",
    "@platformatic/kafka raw",
    "Duplex Publisher (platformatic)",
    "@platformatic/kafka raw + toKafkaRecord per send",
    "port adapter (platformatic), pre-encoded",
    "kafkajs raw",
    "Duplex Publisher (kafkajs)",
    "port adapter (kafkajs), pre-encoded",
  ];
  variants.sort((a, b) => ORDER.indexOf(a.name) - ORDER.indexOf(b.name));

  // Connections, producer ids, metadata and JIT: warm every Node variant before timing.
  for (const variant of variants) {
    if (variant.layer === "java") continue;
    progress(`publish: warming ${variant.name} (${warmup} records)`);
    await variant.run(warmup);
    sentByNode += Math.ceil(warmup / batch) * batch;
  }

  const runs: {
    rep: number;
    variant: string;
    recordsPerSec: number;
    cpuUsPerRecord?: number;
    extra?: unknown;
  }[] = [];
  for (let rep = 0; rep < options.reps; rep++) {
    // Serpentine order: the pairs compared below run back to back in every repetition.
    const order = serpentine(variants, rep);
    for (const variant of order) {
      const result = await variant.run(options.records);
      if (variant.layer !== "java") sentByNode += Math.ceil(options.records / batch) * batch;
      runs.push({ rep, variant: variant.name, ...result });
      progress(
        `publish rep ${rep + 1}/${options.reps}: ${variant.name} ${fmt(result.recordsPerSec)} rec/s`,
      );
    }
  }
  for (const variant of variants) await variant.close();

  const inTopic = await log.count(topic);
  const javaSent = options.java ? options.reps * (options.records + warmup) : 0;

  const perRep = (name: string) =>
    runs.filter((r) => r.variant === name).map((r) => r.recordsPerSec);
  const perRepRatios = (a: string, b: string) => {
    const bs = perRep(b);
    return perRep(a).map((v, i) => ratio(v, bs[i] ?? Number.NaN));
  };
  const ratioPerRep = (a: string, b: string) => median(perRepRatios(a, b));
  /** "0.61× (0.54–0.68)": the median and the range of the per-repetition ratios. */
  const ratioCell = (a: string, b: string) => {
    const rs = perRepRatios(a, b).filter((r) => !Number.isNaN(r));
    return `${fmtRatio(median(rs))} (${Math.min(...rs).toFixed(2)}–${Math.max(...rs).toFixed(2)})`;
  };
  const java = "Java ProducerPerformance";
  const cpuOf = (name: string) =>
    median(
      runs
        .filter((r) => r.variant === name && r.cpuUsPerRecord !== undefined)
        .map((r) => r.cpuUsPerRecord ?? Number.NaN),
    );
  const rows = variants.map((v) => {
    const values = perRep(v.name);
    const mb = (median(values) * (v.layer === "java" ? 1024 : recordBytes)) / 1024 / 1024;
    return [
      v.name,
      ...values.map((x) => fmt(x)),
      fmt(median(values)),
      fmt(mb, 2),
      v.layer === "java" ? "" : fmt(cpuOf(v.name), 1),
      options.java && v.layer !== "java" ? fmtRatio(ratioPerRep(v.name, java)) : "",
    ];
  });
  const cpuRatio = (a: string, b: string) => ratio(cpuOf(b), cpuOf(a));
  const ratios = {
    cpuPublisherVsRawPlatformatic: cpuRatio(
      "Duplex Publisher (platformatic)",
      "@platformatic/kafka raw",
    ),
    cpuPlatformaticVsKafkajsRaw: cpuRatio("@platformatic/kafka raw", "kafkajs raw"),
    publisherVsRawPlatformatic: ratioPerRep(
      "Duplex Publisher (platformatic)",
      "@platformatic/kafka raw",
    ),
    publisherVsRawEncoding: ratioPerRep(
      "Duplex Publisher (platformatic)",
      "@platformatic/kafka raw + toKafkaRecord per send",
    ),
    adapterVsRawPlatformatic: ratioPerRep(
      "port adapter (platformatic), pre-encoded",
      "@platformatic/kafka raw",
    ),
    publisherVsRawKafkajs: ratioPerRep("Duplex Publisher (kafkajs)", "kafkajs raw"),
    platformaticVsKafkajsRaw: ratioPerRep("@platformatic/kafka raw", "kafkajs raw"),
    platformaticVsKafkajsPublisher: ratioPerRep(
      "Duplex Publisher (platformatic)",
      "Duplex Publisher (kafkajs)",
    ),
    ...(options.java
      ? {
          platformaticVsJava: ratioPerRep("@platformatic/kafka raw", java),
          kafkajsVsJava: ratioPerRep("kafkajs raw", java),
          publisherVsJava: ratioPerRep("Duplex Publisher (platformatic)", java),
        }
      : {}),
  };
  const JAVA = "Java ProducerPerformance";
  const RAW = "@platformatic/kafka raw";
  const PUB = "Duplex Publisher (platformatic)";
  const ratioRows: string[][] = [
    ["Duplex Publisher / @platformatic/kafka raw", ratioCell(PUB, RAW), "≥ 0.80×"],
    [
      "Duplex Publisher / raw + toKafkaRecord per send",
      ratioCell(PUB, "@platformatic/kafka raw + toKafkaRecord per send"),
      "",
    ],
    [
      "port adapter / @platformatic/kafka raw",
      ratioCell("port adapter (platformatic), pre-encoded", RAW),
      "",
    ],
    [
      "Duplex Publisher (kafkajs) / kafkajs raw",
      ratioCell("Duplex Publisher (kafkajs)", "kafkajs raw"),
      "",
    ],
    ["@platformatic/kafka raw / kafkajs raw", ratioCell(RAW, "kafkajs raw"), ""],
    ["Publisher on platformatic / on kafkajs", ratioCell(PUB, "Duplex Publisher (kafkajs)"), ""],
    [
      "by CPU per record: raw ÷ Duplex Publisher (platformatic)",
      fmtRatio(ratios.cpuPublisherVsRawPlatformatic),
      "",
    ],
    [
      "by CPU per record: kafkajs raw ÷ @platformatic/kafka raw",
      fmtRatio(ratios.cpuPlatformaticVsKafkajsRaw),
      "",
    ],
  ];
  if (options.java) {
    ratioRows.push(
      ["@platformatic/kafka raw / Java", ratioCell(RAW, JAVA), "≥ 0.50×"],
      ["kafkajs raw / Java", ratioCell("kafkajs raw", JAVA), ""],
      ["Duplex Publisher / Java", ratioCell(PUB, JAVA), ""],
    );
  }
  const settings = {
    topic,
    partitions: options.partitions,
    replicationFactor: log.replicationFactor,
    recordBytesNode: recordBytes,
    recordBytesJava: 1024,
    batch,
    concurrency,
    records: options.records,
    warmup,
    reps: options.reps,
    platformatic: { acks: "all", idempotent: true, maxInflights: 5, compression: "none" },
    kafkajs: { acks: -1, idempotent: true, maxInFlightRequests: 1, compression: "none" },
    java: JAVA_PRODUCER_SETTINGS,
  };
  return {
    suite: "publish",
    tables: [
      table(
        `Log publish throughput, records/s (${options.records.toLocaleString("en-US")} records of ~${recordBytes} B per run, ${options.partitions} partitions, batch ${batch}, ${concurrency} in flight, acks=all, idempotent)`,
        [
          "variant",
          ...Array.from({ length: options.reps }, (_, i) => `rep ${i + 1}`),
          "median",
          "MiB/s",
          "CPU µs/rec",
          options.java ? "vs Java" : "",
        ],
        rows,
      ),
      table(
        "Publish ratios: median (min–max) of the per-repetition ratios",
        ["ratio", "value", "goal"],
        ratioRows,
      ),
    ],
    data: {
      settings,
      runs,
      ratios,
      check: { recordsInTopic: inTopic, expected: sentByNode + javaSent },
    },
    notes: [
      `records in ${topic} after the suite: ${inTopic} (expected ${sentByNode + javaSent}: idempotent producers, no duplicates)`,
    ],
  };
}
