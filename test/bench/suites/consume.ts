import { join } from "node:path";
import {
  Consumer,
  compatibilityPartitioner,
  ProduceAcks,
  Producer,
  stringSerializer,
} from "@platformatic/kafka";
import kafkajs from "kafkajs";
import { toKafkaRecord } from "../../../events/codecs/kafka.ts";
import {
  ENV,
  type FunctionDeclaration,
  type LogTrigger,
} from "../../../functions/kit/declarations.ts";
import type { LogClientName } from "../../../functions/kit/log/client.ts";
import { namespacedProducer } from "../../../functions/kit/log/namespace.ts";
import { LocalFunction } from "../../../localstack/host/local-function.ts";
import { LogPoller } from "../../../localstack/host/log-poller.ts";
import { recordCountOf } from "../../../localstack/host/msk-transfer.ts";
import { duplexHome } from "../../../localstack/stack/paths.ts";
import { logBare, logKit } from "../fixtures/declarations.ts";
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
import type { BenchLog } from "../lib/log.ts";

const { Kafka, logLevel } = kafkajs;

/** Execution environments of the no-op consumer: a log consumer's declared `localMax`. */
const HOST_CONCURRENCY = logBare.concurrency.localMax;
/** How long the broker may hold an empty fetch: what both adapters ask for. */
const FETCH_MAX_WAIT_MS = 500;

/** Fetch size cap of the raw consumers. */
const FETCH_MAX_BYTES = 1_048_576;

/** How long a consumer may take to join its group and read everything before the run is failed. */
const TIMEOUT_MS = 180_000;

interface ConsumeRun {
  /** Records per second from the first record handed over to the last one handled. */
  readonly recordsPerSec: number;
  /** Records per second from the consumer's start (group join included) to the last record. */
  readonly drainPerSec: number;
  /** From start (group join included) to the first record. */
  readonly firstRecordMs: number;
  /** This process's CPU per record, every thread (the host's worker included), from the start. */
  readonly cpuUsPerRecord: number;
}

interface Variant {
  readonly name: string;
  readonly kind: "raw" | "host";
  run(group: string, records: number): Promise<ConsumeRun>;
}

function cpuUs(usage: NodeJS.CpuUsage): number {
  return usage.user + usage.system;
}

/** Counts records to `target`, stamping the first and the last. */
class Counter {
  readonly #target: number;
  readonly started = nowMs();
  readonly #cpu = process.cpuUsage();
  first: number | undefined;
  count = 0;
  readonly done: Promise<ConsumeRun>;
  #resolve: ((run: ConsumeRun) => void) | undefined;

  constructor(target: number) {
    this.#target = target;
    this.done = new Promise<ConsumeRun>((resolve, reject) => {
      this.#resolve = resolve;
      setTimeout(
        () => reject(new Error(`only ${this.count}/${target} records in ${TIMEOUT_MS} ms`)),
        TIMEOUT_MS,
      ).unref();
    });
  }

  start(): void {
    this.first ??= nowMs();
  }

  add(n: number): void {
    this.start();
    this.count += n;
    if (this.count >= this.#target && this.#resolve !== undefined) {
      const end = nowMs();
      const first = this.first ?? end;
      this.#resolve({
        recordsPerSec: this.count / ((end - first) / 1000),
        drainPerSec: this.count / ((end - this.started) / 1000),
        firstRecordMs: first - this.started,
        cpuUsPerRecord: cpuUs(process.cpuUsage(this.#cpu)) / this.count,
      });
      this.#resolve = undefined;
    }
  }
}

/**
 * Log consume throughput (issue 4): the local host's MSK-shaped delivery (consumer group →
 * per-partition batcher → MSK event → worker thread → handler, offsets committed per batch) to a
 * no-op handler, vs each raw client's own consumer reading the same topic with a fresh group. The
 * kit's `logHandler` with a no-op `handle` is a third level (decode + validate + Powertools).
 */
export async function consumeSuite(
  log: BenchLog,
  options: { records: number; reps: number; partitions: number },
): Promise<SuiteReport> {
  const topic = await log.ensureTopic("consume", options.partitions);
  const records = options.records;

  // Fill the topic once; every variant and repetition reads the same records from the start.
  const have = await log.count(topic);
  if (have < records) {
    progress(`consume: writing ${records - have} records to ${topic}`);
    const producer = new Producer({
      clientId: `${log.connection.clientId}-fill`,
      bootstrapBrokers: [...log.brokers],
      idempotent: true,
      acks: ProduceAcks.ALL,
      partitioner: compatibilityPartitioner,
      serializers: {
        key: stringSerializer,
        headerKey: stringSerializer,
        headerValue: stringSerializer,
      },
      autocreateTopics: false,
    });
    const pool = Array.from({ length: 2_000 }, () => toKafkaRecord(typicalFact()));
    for (let sent = have; sent < records; sent += 200) {
      const batch = Array.from({ length: Math.min(200, records - sent) }, (_, i) => {
        const r = pool[(sent + i) % pool.length] ?? pool[0];
        if (r === undefined) throw new Error("empty pool");
        return { topic, key: r.key, value: r.value, headers: { ...r.headers } };
      });
      await producer.send({ messages: batch });
    }
    await producer.close();
  }

  const rawPlatformatic: Variant = {
    name: "@platformatic/kafka raw consumer",
    kind: "raw",
    run: async (group, n) => {
      const counter = new Counter(n);
      const consumer = new Consumer({
        clientId: `${log.connection.clientId}-raw`,
        bootstrapBrokers: [...log.brokers],
        groupId: group,
        autocommit: false,
        sessionTimeout: 10_000,
        heartbeatInterval: 1_000,
        rebalanceTimeout: 15_000,
        maxWaitTime: FETCH_MAX_WAIT_MS,
        // Fetches of at most 1 MiB (~1,000 records) for both raw clients, so records arrive in
        // many fetches and the rate from the first record is not one fetch's decode speed.
        maxBytes: FETCH_MAX_BYTES,
        maxBytesPerPartition: FETCH_MAX_BYTES,
      });
      const stream = await consumer.consume({
        topics: [topic],
        mode: "earliest",
        autocommit: false,
      });
      stream.on("data", () => counter.add(1));
      try {
        return await counter.done;
      } finally {
        await consumer.close(true);
      }
    },
  };

  const rawKafkajs: Variant = {
    name: "kafkajs raw consumer (eachBatch)",
    kind: "raw",
    run: async (group, n) => {
      const counter = new Counter(n);
      const consumer = new Kafka({
        clientId: `${log.connection.clientId}-raw`,
        brokers: [...log.brokers],
        logLevel: logLevel.ERROR,
      }).consumer({
        groupId: group,
        sessionTimeout: 10_000,
        heartbeatInterval: 1_000,
        rebalanceTimeout: 15_000,
        maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
        maxBytes: FETCH_MAX_BYTES,
        maxBytesPerPartition: FETCH_MAX_BYTES,
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => counter.add(batch.messages.length),
      });
      try {
        return await counter.done;
      } finally {
        await consumer.disconnect();
      }
    },
  };

  const logDir = join(duplexHome, "bench", "logs");
  const host = (declaration: FunctionDeclaration, client: LogClientName): Variant => ({
    name: `local host → ${declaration.name === logKit.name ? "kit logHandler, no-op handle" : "bare no-op handler"} (${client})`,
    kind: "host",
    run: async (group, n) => {
      const env = {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        AWS_REGION: "us-east-1",
        AWS_LAMBDA_FUNCTION_NAME: declaration.name,
        POWERTOOLS_SERVICE_NAME: declaration.name,
        POWERTOOLS_METRICS_NAMESPACE: "DuplexBench",
        POWERTOOLS_LOG_LEVEL: "WARN",
        DUPLEX_STAGE: "local",
        DUPLEX_TOPIC_PREFIX: log.prefix,
        DUPLEX_KAFKA_CLIENT: client,
        // A log trigger's declaration grants it the log (consume), so the kit's config wants it.
        [ENV.kafkaBrokers]: log.brokers.join(","),
      };
      const fn = new LocalFunction(declaration, env, logDir, { maxConcurrency: HOST_CONCURRENCY });
      // Start every execution environment the host may use (LocalFunction's default concurrency)
      // before timing, so cold starts are not counted as delivery cost.
      await Promise.all(
        Array.from({ length: HOST_CONCURRENCY }, () =>
          fn.invoke({ eventSource: "aws:kafka", records: {} }),
        ),
      );
      const counter = new Counter(n);
      const invoke = fn.invoke.bind(fn);
      fn.invoke = async (event, options) => {
        counter.start();
        // Counted before the call: a packed event's buffers move to the worker with it.
        const records = recordCountOf(event);
        const result = await invoke(event, options);
        counter.add(records);
        return result;
      };
      const client_ = log.client(client);
      const deadLetters = namespacedProducer(client_.producer(), log.prefix);
      const poller = new LogPoller({
        fn,
        trigger: declaration.trigger as LogTrigger,
        topic,
        groupId: group,
        log: client_,
        deadLetters,
      });
      poller.start();
      try {
        return await counter.done;
      } finally {
        await poller.stop();
        await fn.close();
        await deadLetters.close();
      }
    },
  });

  const variants: Variant[] = [
    rawPlatformatic,
    rawKafkajs,
    host(logBare, "platformatic"),
    host(logKit, "platformatic"),
    host(logBare, "kafkajs"),
  ];

  const runs: { rep: number; variant: string; run: ConsumeRun }[] = [];
  for (let rep = 0; rep < options.reps; rep++) {
    const order = serpentine(variants, rep);
    for (const [index, variant] of order.entries()) {
      const group = log.group(`consume-${rep}-${index}`);
      const run = await variant.run(group, records);
      runs.push({ rep, variant: variant.name, run });
      progress(
        `consume rep ${rep + 1}/${options.reps}: ${variant.name} ${fmt(run.recordsPerSec)} rec/s (first record after ${fmt(run.firstRecordMs, 0)} ms)`,
      );
    }
  }

  const of = (name: string) => runs.filter((r) => r.variant === name).map((r) => r.run);
  const ratioPerRep = (a: string, b: string) => {
    const bs = of(b);
    return median(of(a).map((x, i) => ratio(x.recordsPerSec, bs[i]?.recordsPerSec ?? Number.NaN)));
  };
  const [rawP, rawK, hostBare, hostKit, hostBareK] = variants.map((v) => v.name) as [
    string,
    string,
    string,
    string,
    string,
  ];
  const ratios = {
    hostBareVsRawPlatformatic: ratioPerRep(hostBare, rawP),
    hostKitVsRawPlatformatic: ratioPerRep(hostKit, rawP),
    hostKitVsHostBare: ratioPerRep(hostKit, hostBare),
    rawPlatformaticVsRawKafkajs: ratioPerRep(rawP, rawK),
    hostPlatformaticVsHostKafkajs: ratioPerRep(hostBare, hostBareK),
    hostKafkajsVsRawKafkajs: ratioPerRep(hostBareK, rawK),
  };
  return {
    suite: "consume",
    tables: [
      table(
        `Log consume throughput, records/s from the first record to the last (${records.toLocaleString("en-US")} records of ~1 KB, ${options.partitions} partitions, fresh group from the earliest offset; raw fetches ≤ 1 MiB; host: batch 100, window 0 → 50 ms)`,
        [
          "path",
          ...Array.from({ length: options.reps }, (_, i) => `rep ${i + 1}`),
          "median",
          "drain incl. join",
          "first record ms",
          "process CPU µs/rec",
        ],
        variants.map((v) => {
          const list = of(v.name);
          return [
            v.name,
            ...list.map((r) => fmt(r.recordsPerSec)),
            fmt(median(list.map((r) => r.recordsPerSec))),
            fmt(median(list.map((r) => r.drainPerSec))),
            fmt(median(list.map((r) => r.firstRecordMs)), 0),
            fmt(median(list.map((r) => r.cpuUsPerRecord)), 1),
          ];
        }),
      ),
      table(
        "Consume ratios (median of per-repetition ratios)",
        ["ratio", "value"],
        [
          [
            "host (bare no-op) / @platformatic/kafka raw",
            fmtRatio(ratios.hostBareVsRawPlatformatic),
          ],
          ["host (kit no-op) / @platformatic/kafka raw", fmtRatio(ratios.hostKitVsRawPlatformatic)],
          ["host (kit no-op) / host (bare no-op)", fmtRatio(ratios.hostKitVsHostBare)],
          ["@platformatic/kafka raw / kafkajs raw", fmtRatio(ratios.rawPlatformaticVsRawKafkajs)],
          [
            "host on platformatic / host on kafkajs",
            fmtRatio(ratios.hostPlatformaticVsHostKafkajs),
          ],
          ["host on kafkajs / kafkajs raw", fmtRatio(ratios.hostKafkajsVsRawKafkajs)],
        ],
      ),
    ],
    data: { topic, records, partitions: options.partitions, runs, ratios },
    notes: [
      "raw consumers count records and commit nothing; the host commits each batch's offsets and serialises every record into the MSK event shape (base64 value, header byte arrays) for a worker thread",
    ],
  };
}
