import { join } from "node:path";
import { BroadcastChannel } from "node:worker_threads";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { toEventBridgeEntry } from "../../../events/codecs/eventbridge.ts";
import type { FastLaneTrigger, FunctionDeclaration } from "../../../functions/kit/declarations.ts";
import { tableEnvVar } from "../../../functions/kit/declarations.ts";
import { pollersOfQueue } from "../../../localstack/host/host.ts";
import { LocalFunction } from "../../../localstack/host/local-function.ts";
import { LocalSession } from "../../../localstack/host/session.ts";
import { SqsPoller } from "../../../localstack/host/sqs-poller.ts";
import { clientConfigsOf } from "../../../localstack/stack/endpoints.ts";
import { duplexHome } from "../../../localstack/stack/paths.ts";
import { fastBare, fastKit, PROBE_CHANNEL, type ProbeStamp } from "../fixtures/declarations.ts";
import { typicalCommand } from "../lib/events.ts";
import {
  epochMs,
  fmt,
  fmtRatio,
  progress,
  ratio,
  type SuiteReport,
  type Summary,
  serpentine,
  sleep,
  summarize,
  table,
} from "../lib/harness.ts";
import type { BenchLog } from "../lib/log.ts";

/**
 * Execution environments per function and receive loops per queue, as the local host derives them
 * for a fast-lane function on one queue (its declared `concurrency.localMax`); the raw loop uses
 * as many.
 */
const HOST_CONCURRENCY = fastBare.concurrency.localMax;
const POLLERS = pollersOfQueue(HOST_CONCURRENCY, 1, 0);
/** Long poll of the raw receive loop: the host's `SqsPoller` waits 10 s, as Lambda's pollers do. */
const LONG_POLL_SECONDS = 10;
const SAMPLE_TIMEOUT_MS = 20_000;

interface Sample {
  readonly eventId: string;
  /** publish/PutEvents call duration, ms. */
  readonly sendMs: number;
  /** From just before publishing to the handler's first line (raw: the receive returning), ms. */
  readonly toHandlerMs: number;
  /** To the kit's `handle` (after decode + idempotency), ms; kit path only. */
  readonly toHandleMs?: number;
}

interface Path {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Sends one command; resolves when its arrival is stamped. */
  once(): Promise<Sample>;
}

/**
 * Fast lane, locally (issue 4): publish → handler start, p50/p99. Duplex's path: the Publisher
 * (log first, acks=all, then PutEvents) → the bus rule → the command's SQS queue → the local
 * host's SqsPoller → the function's worker thread → the handler. The raw path on the same
 * emulator, bus, rule and queue: one SDK PutEvents → an SDK ReceiveMessage loop. One command at a
 * time, so the figures are latencies, not queueing; the paths alternate in rounds.
 */
export async function fastLaneSuite(
  log: BenchLog,
  options: { samples: number; reps: number },
): Promise<SuiteReport> {
  progress("fast-lane: provisioning a local session (topics, bus, rules, queues, tables)");
  log.touch();
  const session = await LocalSession.start({ name: `bench-${log.id}`, host: false });
  const { resources, endpoints } = session;
  const queue = resources.commandQueues.PlaceOrderRequested;
  if (queue === undefined) throw new Error("no queue for PlaceOrderRequested");
  const { aws } = clientConfigsOf(endpoints);

  // Stamps from the handlers' worker threads, and from the raw receive loop.
  const stamps = new Map<string, { handler?: number; handle?: number }>();
  const waiters = new Map<string, () => void>();
  const waiterKey = (eventId: string, stage: ProbeStamp["stage"]) => `${eventId}/${stage}`;
  const record = (stamp: ProbeStamp) => {
    const entry = stamps.get(stamp.eventId) ?? {};
    entry[stamp.stage] ??= stamp.at;
    stamps.set(stamp.eventId, entry);
    const key = waiterKey(stamp.eventId, stamp.stage);
    const waiter = waiters.get(key);
    if (waiter !== undefined) {
      waiters.delete(key);
      waiter();
    }
  };
  const channel = new BroadcastChannel(PROBE_CHANNEL);
  channel.onmessage = (message) => record((message as { data: ProbeStamp }).data);
  const arrival = (eventId: string, stage: ProbeStamp["stage"]) =>
    new Promise<void>((resolve, reject) => {
      const key = waiterKey(eventId, stage);
      const timer = setTimeout(() => {
        waiters.delete(key);
        reject(new Error(`no ${stage} stamp for ${eventId} within ${SAMPLE_TIMEOUT_MS} ms`));
      }, SAMPLE_TIMEOUT_MS);
      waiters.set(key, () => {
        clearTimeout(timer);
        resolve();
      });
      if (stamps.get(eventId)?.[stage] !== undefined) {
        waiters.delete(key);
        clearTimeout(timer);
        resolve();
      }
    });

  const logDir = join(duplexHome, "bench", "logs");
  const envFor = (declaration: FunctionDeclaration) => ({
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    AWS_ENDPOINT_URL: endpoints.awsEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodbEndpoint,
    AWS_REGION: endpoints.region,
    AWS_DEFAULT_REGION: endpoints.region,
    AWS_ACCESS_KEY_ID: endpoints.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: endpoints.credentials.secretAccessKey,
    AWS_LAMBDA_FUNCTION_NAME: declaration.name,
    POWERTOOLS_SERVICE_NAME: declaration.name,
    POWERTOOLS_METRICS_NAMESPACE: "DuplexBench",
    POWERTOOLS_LOG_LEVEL: "WARN",
    DUPLEX_STAGE: "local",
    [tableEnvVar("idempotency")]: resources.tables.idempotency,
    [tableEnvVar("command-ledger")]: resources.tables["command-ledger"],
  });

  const duplexPath = (declaration: FunctionDeclaration, stage: ProbeStamp["stage"]): Path => {
    const fn = new LocalFunction(declaration, envFor(declaration), logDir, {
      maxConcurrency: HOST_CONCURRENCY,
    });
    let pollers: SqsPoller[] = [];
    return {
      name:
        declaration.name === fastKit.name
          ? "Duplex: Publisher → bus → SQS → host → kit fastLaneHandler"
          : "Duplex: Publisher → bus → SQS → host → bare handler",
      start: async () => {
        await fn.warm();
        pollers = Array.from(
          { length: POLLERS },
          () =>
            new SqsPoller(
              session.sqs,
              fn,
              queue,
              declaration.trigger as FastLaneTrigger,
              endpoints.region,
            ),
        );
        for (const p of pollers) p.start();
      },
      stop: async () => {
        await Promise.all(pollers.map((p) => p.stop()));
      },
      once: async () => {
        const command = typicalCommand();
        const handler = arrival(command.eventId, "handler");
        const handle = stage === "handle" ? arrival(command.eventId, "handle") : undefined;
        const t0 = epochMs();
        const result = await session.publish([command]);
        const sendMs = epochMs() - t0;
        if (result.fastLane.failed.length > 0) {
          throw new Error(`fast lane refused: ${JSON.stringify(result.fastLane.failed)}`);
        }
        await handler;
        await handle;
        const at = stamps.get(command.eventId);
        stamps.delete(command.eventId);
        return {
          eventId: command.eventId,
          sendMs,
          toHandlerMs: (at?.handler ?? Number.NaN) - t0,
          ...(stage === "handle" ? { toHandleMs: (at?.handle ?? Number.NaN) - t0 } : {}),
        };
      },
    };
  };

  const rawEventBridge = new EventBridgeClient(aws);
  const rawSqs = new SQSClient(aws);
  let rawRunning = false;
  let rawAbort = new AbortController();
  let rawLoops: Promise<void>[] = [];
  const rawLoop = async () => {
    while (rawRunning) {
      try {
        const { Messages = [] } = await rawSqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queue.url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: LONG_POLL_SECONDS,
            MessageSystemAttributeNames: ["All"],
            MessageAttributeNames: ["All"],
          }),
          { abortSignal: rawAbort.signal },
        );
        const at = epochMs();
        if (Messages.length === 0) continue;
        for (const message of Messages) {
          const body = JSON.parse(message.Body ?? "{}") as { detail?: { eventId?: string } };
          record({ eventId: body.detail?.eventId ?? "", stage: "handler", at });
        }
        await rawSqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queue.url,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      } catch {
        if (rawRunning) await sleep(200);
      }
    }
  };
  const rawPath: Path = {
    name: "raw SDK: PutEvents → bus → SQS → ReceiveMessage loop",
    start: async () => {
      rawRunning = true;
      rawAbort = new AbortController();
      rawLoops = Array.from({ length: POLLERS }, rawLoop);
    },
    stop: async () => {
      rawRunning = false;
      rawAbort.abort();
      await Promise.all(rawLoops);
    },
    once: async () => {
      const command = typicalCommand();
      const arrived = arrival(command.eventId, "handler");
      const t0 = epochMs();
      const response = await rawEventBridge.send(
        new PutEventsCommand({ Entries: [toEventBridgeEntry(command, resources.eventBusName)] }),
      );
      const sendMs = epochMs() - t0;
      if ((response.FailedEntryCount ?? 0) > 0) throw new Error("PutEvents refused the entry");
      await arrived;
      const at = stamps.get(command.eventId);
      stamps.delete(command.eventId);
      return { eventId: command.eventId, sendMs, toHandlerMs: (at?.handler ?? Number.NaN) - t0 };
    },
  };

  const paths = [rawPath, duplexPath(fastBare, "handler"), duplexPath(fastKit, "handle")];
  const samples = new Map<string, Sample[]>(paths.map((p) => [p.name, []]));
  const errors: string[] = [];
  const perRound = Math.max(1, Math.round(options.samples / options.reps));
  try {
    for (let round = 0; round < options.reps; round++) {
      const order = serpentine(paths, round);
      for (const path of order) {
        await path.start();
        // Two unmeasured sends: first requests of a round open connections.
        for (let i = 0; i < 2; i++) await path.once().catch(() => undefined);
        for (let i = 0; i < perRound; i++) {
          try {
            samples.get(path.name)?.push(await path.once());
          } catch (error) {
            errors.push(`${path.name}: ${(error as Error).message}`);
          }
          await sleep(10);
        }
        await path.stop();
        // A receive aborted on stop is not ended on the emulator's side: for the rest of its long
        // poll it can still take a message, which nobody then sees until the visibility timeout
        // (5 s locally). Let those polls run out before the next path sends anything.
        await sleep(LONG_POLL_SECONDS * 1000 + 500);
        const list = samples.get(path.name) ?? [];
        progress(
          `fast-lane round ${round + 1}/${options.reps}: ${path.name} p50 ${fmt(summarize(list.map((s) => s.toHandlerMs)).p50, 1)} ms (${list.length} samples)`,
        );
      }
    }
  } finally {
    channel.close();
    await session.stop({ keepDescription: false });
  }

  const stats = (name: string, pick: (s: Sample) => number | undefined): Summary =>
    summarize(
      (samples.get(name) ?? [])
        .map(pick)
        .filter((v): v is number => v !== undefined && !Number.isNaN(v)),
    );
  const row = (label: string, s: Summary) => [
    label,
    String(s.n),
    fmt(s.p50, 1),
    fmt(s.p90, 1),
    fmt(s.p99, 1),
    fmt(s.max, 1),
  ];
  const [raw, bare, kit] = paths.map((p) => p.name) as [string, string, string];
  const summaries = {
    raw: { toHandler: stats(raw, (s) => s.toHandlerMs), send: stats(raw, (s) => s.sendMs) },
    duplexBare: {
      toHandler: stats(bare, (s) => s.toHandlerMs),
      send: stats(bare, (s) => s.sendMs),
    },
    duplexKit: {
      toHandler: stats(kit, (s) => s.toHandlerMs),
      toHandle: stats(kit, (s) => s.toHandleMs),
      send: stats(kit, (s) => s.sendMs),
    },
  };
  const ratios = {
    p50: ratio(summaries.duplexBare.toHandler.p50, summaries.raw.toHandler.p50),
    p99: ratio(summaries.duplexBare.toHandler.p99, summaries.raw.toHandler.p99),
    kitHandleP50: ratio(summaries.duplexKit.toHandle.p50, summaries.raw.toHandler.p50),
  };
  return {
    suite: "fast-lane",
    tables: [
      table(
        `Fast lane on the local stack (moto), one command at a time, ms from send to handler start (${options.reps} interleaved rounds)`,
        ["path / stage", "n", "p50", "p90", "p99", "max"],
        [
          row(`${raw}: received`, summaries.raw.toHandler),
          row(`${bare}: handler starts`, summaries.duplexBare.toHandler),
          row(`${kit}: handler starts`, summaries.duplexKit.toHandler),
          row(`${kit}: handle() starts (after idempotency)`, summaries.duplexKit.toHandle),
          row("raw PutEvents call", summaries.raw.send),
          row(
            "Duplex publish call (log append acks=all, then PutEvents)",
            summaries.duplexBare.send,
          ),
        ],
      ),
      table(
        "Fast lane ratios (Duplex / raw)",
        ["ratio", "value"],
        [
          ["p50 handler start", fmtRatio(ratios.p50)],
          ["p99 handler start", fmtRatio(ratios.p99)],
          ["p50 kit handle() start / raw received", fmtRatio(ratios.kitHandleP50)],
        ],
      ),
    ],
    data: { summaries, ratios, samples: Object.fromEntries(samples), errors, pollers: POLLERS },
    notes:
      errors.length > 0
        ? [`${errors.length} sample(s) failed: ${errors.slice(0, 3).join("; ")}`]
        : [],
  };
}
