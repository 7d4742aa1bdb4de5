import type { EventEnvelope } from "../../events/envelope.ts";
import { dynamoDocumentClient, eventBridgeClient, sqsClient } from "./aws.ts";
import { CommandLedger } from "./command-ledger.ts";
import { LogDeadLetters, SqsDeadLetters } from "./dead-letters.ts";
import type { FunctionDeclaration, TableName } from "./declarations.ts";
import type { RuntimeConfig } from "./env.ts";
import { readRuntimeConfig, tableOf } from "./env.ts";
import type { FastLane, FastLaneResult } from "./fast-lane.ts";
import { EventBridgeFastLane } from "./fast-lane.ts";
import { putEventsFailShare } from "./faults.ts";
import { createLogClient, type LogClientName } from "./log/client.ts";
import { namespacedProducer } from "./log/namespace.ts";
import type { LogClient, LogProducer } from "./log/port.ts";
import type { Observability } from "./observability.ts";
import { createObservability } from "./observability.ts";
import { Publisher } from "./publisher.ts";
import { ReadModelStore } from "./read-models.ts";
import { VersionedStore } from "./versioned-store.ts";

/** A fast lane for functions that never publish critical commands. */
class NoFastLane implements FastLane {
  readonly #functionName: string;
  constructor(functionName: string) {
    this.#functionName = functionName;
  }
  send(commands: readonly EventEnvelope[]): Promise<FastLaneResult> {
    return Promise.reject(
      new Error(
        `${this.#functionName} has no fast-lane access but tried to publish ${commands
          .map((c) => c.eventType)
          .join(", ")}; declare { kind: "bus" } in its resources`,
      ),
    );
  }
}

/**
 * Everything a handler module needs, built once per execution environment (cold start) from its
 * declaration and environment. Connections (Kafka producer, SDK clients) live across invocations.
 *
 * @example
 * ```ts
 * const runtime = createRuntime(declaration);
 * const store = runtime.store("aggregates");
 * ```
 */
export interface Runtime extends Observability {
  readonly declaration: FunctionDeclaration;
  readonly config: RuntimeConfig;
  readonly publisher: Publisher;
  store(table: Extract<TableName, "aggregates" | "sagas">): VersionedStore;
  ledger(): CommandLedger;
  readModels(): ReadModelStore;
  logProducer(): LogProducer;
  logClient(): LogClient;
  sqsDeadLetters(): SqsDeadLetters;
  logDeadLetters(): LogDeadLetters;
}

export function createRuntime(declaration: FunctionDeclaration): Runtime {
  const config = readRuntimeConfig(declaration);
  const observability = createObservability(declaration.name);
  let log: LogClient | undefined;
  let producer: LogProducer | undefined;
  const stores = new Map<string, VersionedStore>();

  const logClient = (): LogClient => {
    if (config.kafka === undefined) {
      throw new Error(`${declaration.name} does not declare log access`);
    }
    log ??= createLogClient(
      {
        brokers: config.kafka.brokers,
        auth: config.kafka.auth,
        compression: config.kafka.compression,
        clientId: `duplex-${declaration.name}`,
      },
      (process.env.DUPLEX_KAFKA_CLIENT as LogClientName | undefined) ?? "platformatic",
    );
    return log;
  };
  const logProducer = (): LogProducer => {
    producer ??= namespacedProducer(logClient().producer(), config.topicPrefix);
    return producer;
  };
  const fastLane: FastLane =
    config.eventBusName === undefined
      ? new NoFastLane(declaration.name)
      : new EventBridgeFastLane(eventBridgeClient(), config.eventBusName, {
          spoilShare: putEventsFailShare(),
        });
  const lazyProducer: LogProducer = {
    send: (records) => logProducer().send(records),
    reset: async () => producer?.reset?.(),
    close: async () => producer?.close(),
  };
  const publisher = new Publisher({
    log: lazyProducer,
    fastLane,
    logger: observability.logger,
    metrics: observability.metrics,
    source: declaration.name,
    ...(config.eventBusName === undefined ? {} : { eventBusName: config.eventBusName }),
  });
  let ledger: CommandLedger | undefined;
  let readModels: ReadModelStore | undefined;
  let sqsDead: SqsDeadLetters | undefined;
  let logDead: LogDeadLetters | undefined;

  return {
    ...observability,
    declaration,
    config,
    publisher,
    store(table) {
      let store = stores.get(table);
      if (store === undefined) {
        store = new VersionedStore(dynamoDocumentClient(), tableOf(config, table));
        stores.set(table, store);
      }
      return store;
    },
    ledger() {
      ledger ??= new CommandLedger(dynamoDocumentClient(), tableOf(config, "command-ledger"));
      return ledger;
    },
    readModels() {
      readModels ??= new ReadModelStore(dynamoDocumentClient(), tableOf(config, "read-models"));
      return readModels;
    },
    logProducer,
    logClient,
    sqsDeadLetters() {
      sqsDead ??= new SqsDeadLetters(sqsClient(), declaration.name);
      return sqsDead;
    },
    logDeadLetters() {
      logDead ??= new LogDeadLetters(lazyProducer, declaration.name);
      return logDead;
    },
  };
}
