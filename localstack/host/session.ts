import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DeleteTableCommand, DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import {
  DeleteArchiveCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  RemoveTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import { DeleteQueueCommand, ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { EventEnvelope } from "../../events/envelope.ts";
import { CommandLedger } from "../../functions/kit/command-ledger.ts";
import { EventBridgeFastLane } from "../../functions/kit/fast-lane.ts";
import type { History } from "../../functions/kit/history.ts";
import { noHistory, openHistory } from "../../functions/kit/history.ts";
import type { LogClientName } from "../../functions/kit/log/client.ts";
import { createLogClient } from "../../functions/kit/log/client.ts";
import { namespacedProducer, physicalTopic } from "../../functions/kit/log/namespace.ts";
import type { LogAdmin, LogClient, LogProducer } from "../../functions/kit/log/port.ts";
import type { PublishResult } from "../../functions/kit/publisher.ts";
import { Publisher } from "../../functions/kit/publisher.ts";
import { ReadModelStore } from "../../functions/kit/read-models.ts";
import { VersionedStore } from "../../functions/kit/versioned-store.ts";
import { clientConfigsOf, type LocalEndpoints, localEndpoints } from "../stack/endpoints.ts";
import { duplexHome } from "../stack/paths.ts";
import { readState } from "../stack/state.ts";
import type { ControlEndpoint, ControlServer } from "./control.ts";
import { startControlServer } from "./control.ts";
import type { HostOptions } from "./host.ts";
import { FunctionHost } from "./host.ts";
import { provisionLocal } from "./provision.ts";
import type { LocalResources } from "./resources.ts";

/** What a running session writes to `.duplex/sessions/<name>.json`, for tools such as the CLI. */
export interface SessionDescription {
  readonly name: string;
  readonly topicPrefix: string;
  readonly endpoints: LocalEndpoints;
  readonly resources: LocalResources;
  readonly startedAt: string;
  readonly pid: number;
  /** The host's control endpoint (stop/start a consumer group), when the session runs a host. */
  readonly control?: ControlEndpoint;
  /** The local HTTP API (command and query API), when the session runs a host. */
  readonly api?: { readonly url: string };
}

const sessionsDir = join(duplexHome, "sessions");

/** The description of a running (or last) session, if its file exists. */
export function readSessionDescription(name: string): SessionDescription | undefined {
  try {
    return JSON.parse(
      readFileSync(join(sessionsDir, `${name}.json`), "utf8"),
    ) as SessionDescription;
  } catch {
    return undefined;
  }
}

export interface SessionOptions
  extends Omit<HostOptions, "resources" | "endpoints" | "topicPrefix"> {
  /** Names everything this session provisions; a random one by default (`t1a2b3c`). */
  readonly name?: string;
  /** Start the functions host (default true). */
  readonly host?: boolean;
  readonly kafkaClient?: LogClientName;
  /**
   * Brokers the session's producer and the functions bootstrap from, instead of the stack's (a
   * drill points them at the TCP proxy). Admin calls and reads of the checks stay direct.
   */
  readonly clientBrokers?: readonly string[];
}

/**
 * Duplex on the local stack, in its own namespace: provisioned from the catalog and the trigger
 * declarations, the functions host running, and the clients a driver needs (a publisher, the
 * stores, the read models). The demo, the operators' CLI in local mode and the integration tests
 * all start one.
 *
 * @example
 * ```ts
 * const duplex = await LocalSession.start({ settings: { fastLaneDeadlineSeconds: 3 } });
 * await duplex.publish([createEvent("PlaceOrderRequested", data)]);
 * await duplex.stop();
 * ```
 */
export class LocalSession {
  readonly name: string;
  readonly topicPrefix: string;
  readonly endpoints: LocalEndpoints;
  readonly resources: LocalResources;
  readonly log: LogClient;
  readonly admin: LogAdmin;
  readonly producer: LogProducer;
  readonly publisher: Publisher;
  readonly doc: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly eventBridge: EventBridgeClient;
  readonly host: FunctionHost | undefined;
  /** The run history of the driver's publishes (off unless `settings.historyDir` is set). */
  readonly history: History;
  readonly startedAt = new Date().toISOString();
  #control: ControlServer | undefined;

  private constructor(init: {
    name: string;
    endpoints: LocalEndpoints;
    resources: LocalResources;
    log: LogClient;
    admin: LogAdmin;
    producer: LogProducer;
    host: FunctionHost | undefined;
    historyDir: string | undefined;
  }) {
    this.name = init.name;
    this.topicPrefix = `${init.name}.`;
    this.endpoints = init.endpoints;
    this.resources = init.resources;
    this.log = init.log;
    this.admin = init.admin;
    this.producer = init.producer;
    this.host = init.host;
    const { aws, dynamodb } = clientConfigsOf(init.endpoints);
    this.doc = DynamoDBDocumentClient.from(new DynamoDBClient(dynamodb), {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.sqs = new SQSClient(aws);
    this.eventBridge = new EventBridgeClient(aws);
    this.history = init.historyDir === undefined ? noHistory : openHistory(init.historyDir);
    this.publisher = new Publisher({
      log: this.producer,
      fastLane: new EventBridgeFastLane(this.eventBridge, init.resources.eventBusName),
      eventBusName: init.resources.eventBusName,
      source: "driver",
      history: this.history,
    });
  }

  static async start(options: SessionOptions = {}): Promise<LocalSession> {
    const name = options.name ?? `t${randomBytes(3).toString("hex")}`;
    const endpoints = localEndpoints();
    const clientEndpoints =
      options.clientBrokers === undefined
        ? endpoints
        : { ...endpoints, kafkaBrokers: [...options.clientBrokers] };
    const log = createLogClient(
      { brokers: endpoints.kafkaBrokers, auth: "none", clientId: `duplex-${name}` },
      options.kafkaClient,
    );
    const admin = log.admin();
    const state = readState();
    const resources = await provisionLocal({
      prefix: `duplex-${name}`,
      aws: clientConfigsOf(endpoints).aws,
      dynamodbEndpoint: endpoints.dynamodbEndpoint,
      admin,
      topicEnvironment: (state?.brokerCount ?? 1) === 3 ? "local-cluster" : "local",
      topicPrefix: `${name}.`,
    });
    const host =
      options.host === false
        ? undefined
        : await FunctionHost.start({
            ...options,
            resources,
            endpoints: clientEndpoints,
            topicPrefix: `${name}.`,
            ...(options.kafkaClient === undefined ? {} : { kafkaClient: options.kafkaClient }),
          });
    const producerClient =
      options.clientBrokers === undefined
        ? log
        : createLogClient(
            {
              brokers: [...options.clientBrokers],
              auth: "none",
              clientId: `duplex-${name}-driver`,
            },
            options.kafkaClient,
          );
    const producer = namespacedProducer(producerClient.producer(), `${name}.`);
    const session = new LocalSession({
      name,
      endpoints,
      resources,
      log,
      admin,
      producer,
      host,
      historyDir: options.settings?.historyDir,
    });
    if (host !== undefined) session.#control = await startControlServer(host);
    mkdirSync(sessionsDir, { recursive: true });
    writeFileSync(
      join(sessionsDir, `${name}.json`),
      `${JSON.stringify(session.describe(), null, 2)}\n`,
    );
    return session;
  }

  /**
   * A session that another process runs (its host included), for a driver in this process: the
   * clients, publisher and stores of `description`, without provisioning or a host of its own.
   * `stop()` closes only these clients.
   *
   * @example
   * ```ts
   * const driver = LocalSession.attach(readSessionDescription("demo")!);
   * await driver.publish([command]);
   * ```
   */
  static attach(description: SessionDescription, kafkaClient?: LogClientName): LocalSession {
    const log = createLogClient(
      {
        brokers: description.endpoints.kafkaBrokers,
        auth: "none",
        clientId: `duplex-${description.name}-driver`,
      },
      kafkaClient,
    );
    return new LocalSession({
      name: description.name,
      endpoints: description.endpoints,
      resources: description.resources,
      log,
      admin: log.admin(),
      producer: namespacedProducer(log.producer(), description.topicPrefix),
      host: undefined,
      // The session's own process records the run history, if any.
      historyDir: undefined,
    });
  }

  describe(): SessionDescription {
    return {
      name: this.name,
      topicPrefix: this.topicPrefix,
      endpoints: this.endpoints,
      resources: this.resources,
      startedAt: this.startedAt,
      pid: process.pid,
      ...(this.#control === undefined
        ? {}
        : { control: { url: this.#control.url, token: this.#control.token } }),
      ...(this.host?.api === undefined ? {} : { api: { url: this.host.api.url } }),
    };
  }

  /**
   * Removes everything a session of this name provisioned (topics, tables, queues, rules, bus,
   * archive), so a session can start again from nothing. Safe when nothing exists.
   */
  static async wipe(name: string): Promise<void> {
    const endpoints = localEndpoints();
    const { aws, dynamodb } = clientConfigsOf(endpoints);
    const log = createLogClient({
      brokers: endpoints.kafkaBrokers,
      auth: "none",
      clientId: `duplex-wipe-${name}`,
    });
    const admin = log.admin();
    try {
      const ours = async () => (await admin.listTopics()).filter((t) => t.startsWith(`${name}.`));
      const topics = await ours();
      if (topics.length > 0) await admin.deleteTopics(topics);
      // Deletion finishes after DeleteTopics answers: a provisioning that still lists a topic
      // being deleted creates nothing, and the topic is then gone ("Unknown topic" at the first
      // publish, seen on a loaded machine). So wait until the listing no longer shows them.
      const deadline = Date.now() + 60_000;
      while (topics.length > 0 && (await ours()).length > 0) {
        if (Date.now() > deadline)
          throw new Error(`topics of session '${name}' still listed 60 s after deletion`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      // The session's consumer groups too: the broker drops a deleted topic's committed offsets
      // only when its group coordinator is ready, and a group that kept them resumes the
      // recreated topic past its first records (the history check caught a ledger that skipped
      // offsets 0-1). Best effort: a group whose members have not timed out yet cannot go.
      const groups = (await admin.listGroups()).filter((g) => g.startsWith(`${name}.`));
      if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
    } finally {
      await admin.close();
    }
    const prefix = `duplex-${name}-`;
    const dynamo = new DynamoDBClient(dynamodb);
    const tables = (await dynamo.send(new ListTablesCommand({}))).TableNames ?? [];
    await Promise.all(
      tables
        .filter((t) => t.startsWith(prefix))
        .map((t) => dynamo.send(new DeleteTableCommand({ TableName: t }))),
    );
    const sqs = new SQSClient(aws);
    const queues =
      (await sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix }))).QueueUrls ?? [];
    await Promise.all(queues.map((QueueUrl) => sqs.send(new DeleteQueueCommand({ QueueUrl }))));
    const events = new EventBridgeClient(aws);
    const bus = `${prefix}fast-lane`;
    const rules =
      (await events.send(new ListRulesCommand({ EventBusName: bus })).catch(() => ({ Rules: [] })))
        .Rules ?? [];
    for (const rule of rules) {
      await events
        .send(new RemoveTargetsCommand({ Rule: rule.Name, EventBusName: bus, Ids: ["queue"] }))
        .catch(() => undefined);
      await events
        .send(new DeleteRuleCommand({ Name: rule.Name, EventBusName: bus }))
        .catch(() => undefined);
    }
    // The archive's name (`localResourceNames`), and the one sessions had before it was shortened.
    for (const archive of [`${prefix}archive`, `${bus}-archive`]) {
      await events.send(new DeleteArchiveCommand({ ArchiveName: archive })).catch(() => undefined);
    }
    await events.send(new DeleteEventBusCommand({ Name: bus })).catch(() => undefined);
    rmSync(join(sessionsDir, `${name}.json`), { force: true });
  }

  publish(events: readonly EventEnvelope[]): Promise<PublishResult> {
    return this.publisher.publish(events);
  }

  /** The physical name of a catalog topic in this session. */
  topic(catalogTopic: string): string {
    return physicalTopic(this.topicPrefix, catalogTopic);
  }

  store(table: "aggregates" | "sagas"): VersionedStore {
    return new VersionedStore(this.doc, this.resources.tables[table]);
  }

  readModels(): ReadModelStore {
    return new ReadModelStore(this.doc, this.resources.tables["read-models"], { pointerTtlMs: 0 });
  }

  ledger(): CommandLedger {
    return new CommandLedger(this.doc, this.resources.tables["command-ledger"]);
  }

  /** Polls `probe` until it returns a value other than `undefined`/`false`, or fails after `timeoutMs`. */
  async waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined | false>,
    timeoutMs = 30_000,
    intervalMs = 200,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const value = await probe();
        if (value !== undefined && value !== false) return value;
      } catch (error) {
        last = error;
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    throw new Error(
      `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ""}`,
    );
  }

  /**
   * Waits until every running consumer of the host has read its topics to the end, twice in a
   * row a second apart (a reaction may still be in flight after the first). Checks that read
   * several views (invariants, comparisons) call this first.
   */
  async settle(timeoutMs = 60_000): Promise<void> {
    const consumers = this.host?.consumers().filter((c) => c.running) ?? [];
    let quietSince: number | undefined;
    await this.waitFor(
      "every consumer to reach the end of its topics",
      async () => {
        for (const consumer of consumers) {
          const [ends, committed] = await Promise.all([
            this.admin.topicOffsets(consumer.topic),
            this.admin.groupOffsets(consumer.groupId, [consumer.topic]),
          ]);
          for (const end of ends) {
            const at = committed.find((c) => c.partition === end.partition)?.offset ?? end.low;
            if (BigInt(at) < BigInt(end.high)) {
              quietSince = undefined;
              return false;
            }
          }
        }
        quietSince ??= Date.now();
        return Date.now() - quietSince >= 1_000;
      },
      timeoutMs,
      250,
    );
  }

  /**
   * Stops the host and the clients. `deleteTopics` also removes this session's topics (tests);
   * `keepDescription` leaves `.duplex/sessions/<name>.json` for tools that inspect a finished run.
   */
  async stop(options: { deleteTopics?: boolean; keepDescription?: boolean } = {}): Promise<void> {
    await this.#control?.close();
    await this.host?.stop();
    if (!options.keepDescription) rmSync(join(sessionsDir, `${this.name}.json`), { force: true });
    await this.producer.close();
    await this.history.flush();
    if (options.deleteTopics) {
      const mine = (await this.admin.listTopics()).filter((t) => t.startsWith(this.topicPrefix));
      if (mine.length > 0) await this.admin.deleteTopics(mine).catch(() => undefined);
    }
    await this.admin.close();
  }
}
