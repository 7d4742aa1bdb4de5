/**
 * The handler-kit measurement, run in a child process (see kit.ts) whose stdout is /dev/null:
 * Powertools writes its JSON logs and EMF metrics there, so their formatting is paid and their
 * write is a cheap syscall, as with Lambda's log pipe minus the pipe. Results go back over IPC.
 *
 * "Excluding I/O" here: the kit's network calls are replaced by in-memory work at the layer
 * boundary — Powertools idempotency's DynamoDB persistence layer by a Map (its `_putRecord` /
 * `_getRecord` / `_updateRecord` / `_deleteRecord`), the command ledger's `markHandled` by a Map
 * write. A third variant keeps the real persistence layer and ledger and stubs DynamoDB at the
 * SDK's HTTP handler instead, so the SDK's own CPU (marshalling, signing, middleware) is counted.
 */
import { randomUUID } from "node:crypto";
import type { MicroResult } from "../lib/harness.ts";

Object.assign(process.env, {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "AKIDBENCHEXAMPLE",
  AWS_SECRET_ACCESS_KEY: "bench-secret",
  AWS_LAMBDA_FUNCTION_NAME: "bench-kit",
  POWERTOOLS_SERVICE_NAME: "bench-kit",
  POWERTOOLS_METRICS_NAMESPACE: "DuplexBench",
  DUPLEX_TABLE_IDEMPOTENCY: "bench-idempotency",
  DUPLEX_TABLE_COMMAND_LEDGER: "bench-command-ledger",
});
delete process.env.AWS_ENDPOINT_URL;
delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
delete process.env.AWS_PROFILE;

const quick = process.argv.includes("--quick");
/** `--pairs=0,2` runs only those comparisons (for profiling one adapter with --cpu-prof). */
const onlyPairs = process.argv
  .find((a) => a.startsWith("--pairs="))
  ?.slice("--pairs=".length)
  .split(",")
  .map(Number);

const [
  { IdempotencyItemAlreadyExistsError, IdempotencyItemNotFoundError },
  { DynamoDBPersistenceLayer },
  { toEventBridgeEntry, toEventBridgeEvent },
  { toKafkaRecord },
  { toMskRecord },
  { logHandler },
  { fastLaneHandler },
  { dynamoDocumentClient },
  { CommandLedger },
  { typicalCommand, typicalFact },
  { logKit, fastKit },
  { summarize, sink, cpuUs, micro, microAsync },
  { IdempotencyConfig, makeIdempotent },
  { fromMskRecord, fromSqsMessageBody },
  { Logger },
  { Metrics, MetricUnit },
  { BatchProcessor, EventType, processPartialResponse },
  { eventLogKeys },
] = await Promise.all([
  import("@aws-lambda-powertools/idempotency"),
  import("@aws-lambda-powertools/idempotency/dynamodb"),
  import("../../../events/codecs/eventbridge.ts"),
  import("../../../events/codecs/kafka.ts"),
  import("../../../events/codecs/lambda.ts"),
  import("../../../functions/kit/log-handler.ts"),
  import("../../../functions/kit/fast-lane-handler.ts"),
  import("../../../functions/kit/aws.ts"),
  import("../../../functions/kit/command-ledger.ts"),
  import("../lib/events.ts"),
  import("../fixtures/declarations.ts"),
  import("../lib/harness.ts"),
  import("@aws-lambda-powertools/idempotency"),
  import("../../../events/codecs/lambda.ts"),
  import("@aws-lambda-powertools/logger"),
  import("@aws-lambda-powertools/metrics"),
  import("@aws-lambda-powertools/batch"),
  import("../../../functions/kit/observability.ts"),
]);

type Handler = (event: never, context: never) => Promise<unknown>;

const context = {
  functionName: "bench-kit",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:bench-kit",
  memoryLimitInMB: "1024",
  awsRequestId: randomUUID(),
  logGroupName: "/aws/lambda/bench-kit",
  logStreamName: "bench",
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

// ---- In-memory persistence (the "excluding I/O" set-up) ----------------------------------------
interface StoredRecord {
  idempotencyKey: string;
  isExpired(): boolean;
}
const idempotencyStore = new Map<string, StoredRecord>();
const ledgerStore = new Map<string, string>();
const persistence = DynamoDBPersistenceLayer.prototype as unknown as Record<string, unknown>;
const realPersistence = {
  _putRecord: persistence._putRecord,
  _getRecord: persistence._getRecord,
  _updateRecord: persistence._updateRecord,
  _deleteRecord: persistence._deleteRecord,
};
const inMemoryPersistence = {
  _putRecord: async (record: StoredRecord) => {
    const existing = idempotencyStore.get(record.idempotencyKey);
    if (existing !== undefined && !existing.isExpired()) {
      throw new IdempotencyItemAlreadyExistsError(
        `Failed to put record for already existing idempotency key: ${record.idempotencyKey}`,
        existing as never,
      );
    }
    idempotencyStore.set(record.idempotencyKey, record);
  },
  _getRecord: async (key: string) => {
    const found = idempotencyStore.get(key);
    if (found === undefined) throw new IdempotencyItemNotFoundError();
    return found;
  },
  _updateRecord: async (record: StoredRecord) => {
    idempotencyStore.set(record.idempotencyKey, record);
  },
  _deleteRecord: async (record: StoredRecord) => {
    idempotencyStore.delete(record.idempotencyKey);
  },
};
const ledger = CommandLedger.prototype as unknown as Record<string, unknown>;
const realMarkHandled = ledger.markHandled;
const inMemoryMarkHandled = async (eventId: string, commandType: string) => {
  ledgerStore.set(eventId, commandType);
};

// ---- DynamoDB at the transport (the "SDK CPU included" set-up) ---------------------------------
const dynamoConfig = dynamoDocumentClient().config as unknown as { requestHandler: unknown };
const realRequestHandler = dynamoConfig.requestHandler;
let stubbedRequests = 0;
const stubRequestHandler = {
  handle: async () => {
    stubbedRequests++;
    return {
      response: {
        statusCode: 200,
        reason: "OK",
        headers: { "content-type": "application/x-amz-json-1.0" },
        body: new TextEncoder().encode("{}"),
      },
    };
  },
  updateHttpClientConfig: () => undefined,
  httpHandlerConfigs: () => ({}),
};

function useInMemory(): void {
  Object.assign(persistence, inMemoryPersistence);
  ledger.markHandled = inMemoryMarkHandled;
  dynamoConfig.requestHandler = realRequestHandler;
}
function useSdkStub(): void {
  Object.assign(persistence, realPersistence);
  ledger.markHandled = realMarkHandled;
  dynamoConfig.requestHandler = stubRequestHandler;
}

// ---- Handlers ----------------------------------------------------------------------------------
function withLogLevel<T>(level: string, make: () => T): T {
  process.env.POWERTOOLS_LOG_LEVEL = level;
  return make();
}

let handled = 0;
const logKitInfo = withLogLevel("INFO", () =>
  logHandler({ declaration: logKit, eventTypes: "all", handle: async () => void handled++ }),
);
const fastKitInfo = withLogLevel("INFO", () =>
  fastLaneHandler({ declaration: fastKit, handle: async () => void handled++ }),
);
const fastKitWarn = withLogLevel("WARN", () =>
  fastLaneHandler({ declaration: fastKit, handle: async () => void handled++ }),
);

interface MskEvent {
  records: Record<string, ReturnType<typeof toMskRecord>[]>;
}
interface SqsEvent {
  Records: { body: string }[];
}

/** Bare handlers: JSON.parse of each payload, nothing else. */
const bareMsk = async (event: MskEvent) => {
  for (const records of Object.values(event.records)) {
    for (const record of records)
      sink.value = JSON.parse(Buffer.from(record.value, "base64").toString("utf8"));
  }
  return { batchItemFailures: [] };
};
const bareSqs = async (event: SqsEvent) => {
  for (const record of event.Records) sink.value = JSON.parse(record.body);
  return { batchItemFailures: [] };
};

// ---- Inputs ------------------------------------------------------------------------------------
const MSK_BATCH = 100; // logDefaults.batchSize
const SQS_BATCH = 10; // fastLaneDefaults.batchSize
const mskEvent: MskEvent = {
  records: {
    "order-events-0": Array.from({ length: MSK_BATCH }, (_, i) =>
      toMskRecord(toKafkaRecord(typicalFact()), { partition: 0, offset: i, timestamp: Date.now() }),
    ),
  },
};
const template = typicalCommand();
const templateBody = JSON.stringify(
  toEventBridgeEvent(toEventBridgeEntry(template, "duplex-fast-lane"), {
    id: randomUUID(),
    account: "123456789012",
    region: "us-east-1",
  }),
);
let messageSeq = 0;
/** SQS batches of distinct commands (fresh event ids, so idempotency takes its first-time path). */
function sqsBatches(count: number): SqsEvent[] {
  return Array.from({ length: count }, () => ({
    Records: Array.from({ length: SQS_BATCH }, () => {
      const eventId = randomUUID();
      messageSeq++;
      return {
        messageId: `00000000-0000-4000-8000-${String(messageSeq).padStart(12, "0")}`,
        receiptHandle: `handle-${messageSeq}`,
        body: templateBody.replaceAll(template.eventId, eventId),
        attributes: {
          ApproximateReceiveCount: "1",
          SentTimestamp: String(Date.now()),
          SenderId: "AIDAEXAMPLE",
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:bench",
        awsRegion: "us-east-1",
      };
    }),
  }));
}

// ---- Measurement -------------------------------------------------------------------------------
/** Wall-clock and process CPU time per record, µs. */
async function timeInvocations(
  handler: Handler,
  events: readonly unknown[],
  recordsPerEvent: number,
): Promise<{ wall: number; cpu: number }> {
  const cpuStart = cpuUs();
  const start = process.hrtime.bigint();
  for (const event of events) {
    const response = (await handler(event as never, context as never)) as {
      batchItemFailures?: unknown[];
    };
    if ((response?.batchItemFailures?.length ?? 0) > 0) {
      throw new Error(`unexpected batch item failures: ${JSON.stringify(response)}`);
    }
  }
  const us = Number(process.hrtime.bigint() - start) / 1e3;
  const records = events.length * recordsPerEvent;
  return { wall: us / records, cpu: (cpuUs() - cpuStart) / records };
}

interface Pair {
  readonly name: string;
  readonly lane: "msk" | "sqs";
  readonly bare: Handler;
  readonly kit: Handler;
  readonly setup: () => void;
}
const pairs: Pair[] = [
  {
    name: "MSK adapter: logHandler, no-op handle (batch 100)",
    lane: "msk",
    bare: bareMsk as Handler,
    kit: logKitInfo as unknown as Handler,
    setup: useInMemory,
  },
  {
    name: "SQS adapter: fastLaneHandler, idempotency + ledger in memory, log level INFO, AWS default (batch 10)",
    lane: "sqs",
    bare: bareSqs as Handler,
    kit: fastKitInfo as unknown as Handler,
    setup: useInMemory,
  },
  {
    name: "SQS adapter: same, log level WARN, the local host's default",
    lane: "sqs",
    bare: bareSqs as Handler,
    kit: fastKitWarn as unknown as Handler,
    setup: useInMemory,
  },
  {
    name: "SQS adapter: real DynamoDB persistence + ledger, DynamoDB stubbed at the SDK's HTTP handler",
    lane: "sqs",
    bare: bareSqs as Handler,
    kit: fastKitInfo as unknown as Handler,
    setup: useSdkStub,
  },
];

const reps = quick ? 3 : 7;
const mskInvocations = quick ? 40 : 200;
const sqsInvocations = quick ? 200 : 1_000;

const results = [];
for (const [index, pair] of pairs.entries()) {
  if (onlyPairs !== undefined && !onlyPairs.includes(index)) continue;
  pair.setup();
  const invocations = pair.lane === "msk" ? mskInvocations : sqsInvocations;
  const perRecord = pair.lane === "msk" ? MSK_BATCH : SQS_BATCH;
  const inputs = () =>
    pair.lane === "msk"
      ? Array.from({ length: invocations }, () => mskEvent)
      : sqsBatches(invocations);
  // Warm both (JIT, lazy clients, Powertools' first-invocation work).
  await timeInvocations(pair.bare, inputs(), perRecord);
  await timeInvocations(pair.kit, inputs(), perRecord);
  const bare: number[] = [];
  const kit: number[] = [];
  const overhead: number[] = [];
  const bareWall: number[] = [];
  const kitWall: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    idempotencyStore.clear();
    ledgerStore.clear();
    const a = inputs();
    const b = inputs();
    // Alternate which goes first, so drift on the shared cores hits both alike.
    let bareUs: { wall: number; cpu: number };
    let kitUs: { wall: number; cpu: number };
    if (rep % 2 === 0) {
      bareUs = await timeInvocations(pair.bare, a, perRecord);
      kitUs = await timeInvocations(pair.kit, b, perRecord);
    } else {
      kitUs = await timeInvocations(pair.kit, b, perRecord);
      bareUs = await timeInvocations(pair.bare, a, perRecord);
    }
    bare.push(bareUs.cpu);
    kit.push(kitUs.cpu);
    overhead.push(kitUs.cpu - bareUs.cpu);
    bareWall.push(bareUs.wall);
    kitWall.push(kitUs.wall);
  }
  results.push({
    name: pair.name,
    lane: pair.lane,
    batch: perRecord,
    invocationsPerRep: invocations,
    reps,
    bareUsPerRecord: summarize(bare),
    kitUsPerRecord: summarize(kit),
    overheadUsPerRecord: summarize(overhead),
    bareWallUsPerRecord: summarize(bareWall),
    kitWallUsPerRecord: summarize(kitWall),
  });
  process.stderr.write(
    `[bench kit] ${pair.name}: CPU per record bare ${summarize(bare).p50.toFixed(2)} µs, kit ${summarize(kit).p50.toFixed(2)} µs\n`,
  );
}

// ---- Where the kit's time goes: its parts alone, CPU µs per record -----------------------------
const sampleMsk = mskEvent.records["order-events-0"]?.[0];
const sampleBody = sqsBatches(1)[0]?.Records[0]?.body ?? "";
const sampleCommand = fromSqsMessageBody(sampleBody).event;
const partOptions = { iterations: quick ? 2_000 : 20_000, reps: quick ? 3 : 7, warmup: 5_000 };
/** The idempotency key as the kit makes it (JMESPath "eventId" on the command) and without JMESPath. */
type KeyMaker = { configure(o: unknown): void; getHashedIdempotencyKey(data: unknown): string };
const keyLayer = (config: unknown): KeyMaker => {
  const layer = new DynamoDBPersistenceLayer({ tableName: "bench" }) as unknown as KeyMaker;
  layer.configure({ config, functionName: "bench" });
  return layer;
};
const withJmesPath = keyLayer(new IdempotencyConfig({ eventKeyJmesPath: "eventId" }));
const withoutJmesPath = keyLayer(new IdempotencyConfig({}));
if (
  withJmesPath.getHashedIdempotencyKey(sampleCommand) !==
  withoutJmesPath.getHashedIdempotencyKey(sampleCommand.eventId)
) {
  throw new Error("the two ways of making the idempotency key disagree");
}
const parts: MicroResult[] = [
  micro(
    "MSK: fromMskRecord (base64, header bytes, validate, upcast)",
    () => sampleMsk && fromMskRecord(sampleMsk),
    partOptions,
  ),
  micro(
    "MSK bare: base64 + JSON.parse of the value",
    () => sampleMsk && JSON.parse(Buffer.from(sampleMsk.value, "base64").toString("utf8")),
    partOptions,
  ),
  micro(
    "SQS: fromSqsMessageBody (JSON.parse, validate, upcast)",
    () => fromSqsMessageBody(sampleBody),
    partOptions,
  ),
  micro("SQS bare: JSON.parse of the body", () => JSON.parse(sampleBody), partOptions),
  micro(
    'idempotency key via eventKeyJmesPath "eventId" on the command (the kit before 274cea0)',
    () => withJmesPath.getHashedIdempotencyKey(sampleCommand),
    partOptions,
  ),
  micro(
    "idempotency key, same value, from the event id itself (the kit now)",
    () => withoutJmesPath.getHashedIdempotencyKey(sampleCommand.eventId),
    partOptions,
  ),
];

// The Powertools pieces of the SQS adapter, each alone (in-memory persistence as above).
useInMemory();
idempotencyStore.clear();
const asyncOptions = { iterations: quick ? 1_000 : 10_000, reps: quick ? 3 : 7, warmup: 2_000 };
// As fastLaneHandler does: keyed by the event id (its first argument, no JMESPath), and the
// config knows the invocation's context (remaining time).
const partConfig = new IdempotencyConfig({ expiresAfterSeconds: 7 * 86_400 });
partConfig.registerLambdaContext(context as never);
const idempotent = makeIdempotent(
  async (_eventId: string, command: { eventId: string }) => ({ handled: command.eventId }),
  {
    persistenceStore: new DynamoDBPersistenceLayer({ tableName: "bench" }),
    config: partConfig,
    dataIndexArgument: 0,
  },
);
let fresh = 0;
// Fresh ids for every call; the in-memory store is emptied now and then so it stays small (ids
// come round again only after it was emptied, so every call takes the first-delivery path).
const freshIds = Array.from({ length: 200_000 }, () => randomUUID());
const nextFreshId = () => {
  if (fresh % 50_000 === 0) idempotencyStore.clear();
  return freshIds[fresh++ % freshIds.length] ?? "";
};
parts.push(
  await microAsync(
    "Powertools makeIdempotent around a no-op, first delivery (in-memory persistence)",
    () => {
      const eventId = nextFreshId();
      return idempotent(eventId, { ...sampleCommand, eventId });
    },
    asyncOptions,
  ),
);
process.env.POWERTOOLS_LOG_LEVEL = "INFO";
const infoLogger = new Logger({ serviceName: "bench-kit" });
parts.push(
  micro(
    'Powertools Logger.info "command handled" line (per command at INFO before 274cea0)',
    () => infoLogger.info("command handled", { ...eventLogKeys(sampleCommand), ms: 1 }),
    partOptions,
  ),
);
const partMetrics = new Metrics({ namespace: "DuplexBench", serviceName: "bench-kit" });
let metricCalls = 0;
parts.push(
  micro(
    "Powertools Metrics: two addMetric per record, flushed every 10 records",
    () => {
      partMetrics.addMetric("CommandsHandled", MetricUnit.Count, 1);
      partMetrics.addMetric("FastLaneLatency", MetricUnit.Milliseconds, 12);
      if (++metricCalls % 10 === 0) partMetrics.publishStoredMetrics();
    },
    partOptions,
  ),
);
const partProcessor = new BatchProcessor(EventType.SQS);
const sqsEventForParts = sqsBatches(1)[0] as SqsEvent;
const batchPart = await microAsync(
  "Powertools processPartialResponse over 10 records, no-op record handler (per record)",
  () =>
    processPartialResponse(sqsEventForParts as never, async () => undefined, partProcessor, {
      context: context as never,
    }),
  { ...asyncOptions, iterations: Math.round(asyncOptions.iterations / SQS_BATCH) },
);
parts.push({
  ...batchPart,
  usPerOp: batchPart.usPerOp / SQS_BATCH,
  cpuUsPerOp: batchPart.cpuUsPerOp / SQS_BATCH,
});
const partRows = parts.map((r) => ({
  name: r.name,
  cpuUsPerRecord: r.cpuUsPerOp,
  wallUsPerRecord: r.usPerOp,
}));

process.send?.({ results, parts: partRows, handled, stubbedRequests });
process.disconnect?.();
