import { eventDefinition, factTopicsOfDomains } from "../../events/registry.ts";
import { type TopicName, topicSpecs } from "../../events/topics.ts";
import type { AnyCommand, CriticalCommandName } from "../../events/types.ts";

/**
 * What wakes a function and what it touches, declared next to its handler. CDK reads these to
 * create event source mappings, rules, queues, schedules and least-privilege IAM; the local
 * functions host reads the very same declarations. Nothing about routing is written twice.
 */

/**
 * Critical commands on the fast lane: bus → one rule per command → SQS queue → this function.
 * `C` is the commands it routes, so the handler can be typed by them (see {@link CommandOf}).
 */
export interface FastLaneTrigger<C extends CriticalCommandName = CriticalCommandName> {
  readonly kind: "fast-lane";
  readonly commands: readonly C[];
  /** Records per invocation (SQS event source mapping `BatchSize`). */
  readonly batchSize: number;
  /** `MaximumBatchingWindowInSeconds` of the SQS event source mapping. */
  readonly maxBatchingWindowSeconds: number;
  /** Receives before SQS moves a message to the queue's DLQ (`maxReceiveCount`). */
  readonly maxReceiveCount: number;
}

/** Topics on the log: an MSK event source mapping (locally, a consumer group). */
export interface LogTrigger {
  readonly kind: "log";
  readonly topics: readonly TopicName[];
  /** Consumer group id; stable, so offsets survive redeploys. */
  readonly consumerGroup: string;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly startingPosition: "TRIM_HORIZON" | "LATEST";
  /** Retries of a failed batch before it goes to the on-failure destination. */
  readonly maxRetries: number;
  /** Split a failing batch in two and retry the halves (isolates a poison record). */
  readonly splitBatchOnError: boolean;
  /** Records older than this go to the on-failure destination instead of being retried. */
  readonly maxRecordAgeSeconds: number;
  /** Where records that still fail go. */
  readonly onFailure: "dead-letters";
}

/** A scheduled function (EventBridge Scheduler / rule on a rate). */
export interface ScheduleTrigger {
  readonly kind: "schedule";
  /** Rate on AWS; EventBridge rates are whole minutes. */
  readonly everyMinutes: number;
  /** Rate in the local functions host, where runs are cheap and tests want them soon. */
  readonly localEverySeconds: number;
}

/** A CloudFormation custom resource provider (only on AWS). */
export interface CustomResourceTrigger {
  readonly kind: "custom-resource";
}

/** One HTTP route of a function; paths use API Gateway's `{name}` parameters. */
export interface HttpRoute {
  readonly method: "GET" | "POST";
  /** e.g. `/commands/{type}`. */
  readonly path: string;
}

/**
 * HTTP routes: an API Gateway HTTP API (payload format 2.0, Lambda proxy integration) on AWS, the
 * local functions host's HTTP server locally. Both build the same request event.
 */
export interface HttpTrigger {
  readonly kind: "http";
  readonly routes: readonly HttpRoute[];
  /** Largest request body the function accepts; larger ones get `413` before any parsing. */
  readonly maxBodyBytes: number;
}

/**
 * Invoked directly by operators' tools (the `duplex` CLI): on AWS through Lambda's Invoke API,
 * authenticated and authorised by IAM (`lambda:InvokeFunction` on this function); locally through
 * the session's control endpoint. No event source.
 */
export interface OperatorTrigger {
  readonly kind: "operator";
}

export type Trigger =
  | FastLaneTrigger
  | LogTrigger
  | ScheduleTrigger
  | CustomResourceTrigger
  | HttpTrigger
  | OperatorTrigger;

/** The DynamoDB tables of Duplex. */
export type TableName = "aggregates" | "sagas" | "idempotency" | "read-models" | "command-ledger";

/** Something a function touches; CDK turns each into IAM statements and environment variables. */
export type ResourceNeed =
  | { readonly kind: "table"; readonly table: TableName; readonly access: "read" | "read-write" }
  | { readonly kind: "bus"; readonly access: "put-events" }
  | {
      readonly kind: "log";
      /**
       * `produce`, `consume` (through an event source mapping), `admin` (topics), or `operate`:
       * what an operator does to the log — administer topics, read any record, append, and move
       * the offsets of every declared consumer group.
       */
      readonly access: "produce" | "consume" | "admin" | "operate";
      readonly topics: readonly TopicName[];
    }
  | LogInspectNeed
  | {
      /** Where consumer groups stand on topics: committed offsets, ends, offsets by time. */
      readonly kind: "log";
      readonly access: "positions";
      readonly topics: readonly TopicName[];
      /** The consumer groups whose committed offsets are read. */
      readonly consumerGroups: readonly string[];
    }
  | { readonly kind: "fast-lane-queues"; readonly access: "send" }
  | { readonly kind: "metrics" };

/**
 * Reading the log as an operator does (a flow's events, an aggregate's history, consumer lag):
 * topics are read by position without a consumer group (Kafka Fetch), and the committed offsets
 * of `observedGroups` are described to measure their lag.
 */
export interface LogInspectNeed {
  readonly kind: "log";
  readonly access: "inspect";
  readonly topics: readonly TopicName[];
  /** Consumer groups whose offsets and members are described (lag). */
  readonly observedGroups: readonly string[];
}

/**
 * How many instances of a function may run at once. CDK turns these into reserved concurrency and
 * the SQS event source mappings' maximum concurrency; the local host into the number of execution
 * environments (worker threads) and SQS pollers. The point is back-pressure instead of collapse:
 * each kind of function (fast-lane handlers, log consumers, sweepers) has its own share, so a
 * fast-lane burst cannot take the instances the log consumers and sweepers need, and a fast-lane
 * queue is never read faster than its handler can run (a message received but throttled would
 * burn one of its `maxReceiveCount` receives).
 */
export interface ConcurrencyLimits {
  /**
   * Reserved concurrency on AWS (`ReservedConcurrentExecutions`): kept for this function, and its
   * ceiling. An SQS event source mapping gets `MaximumConcurrency` = this share divided among the
   * function's queues (at least 2, AWS's minimum), so their sum never exceeds it.
   */
  readonly reserved: number;
  /** Local host: execution environments kept when idle (0: started on first use). */
  readonly localMin: number;
  /**
   * Local host: most execution environments at once (worker threads on the developer's machine,
   * ~90 MB each), never above `reserved`. The host's SQS pollers of the function are as many, so a
   * message is only received when an environment can take it.
   */
  readonly localMax: number;
}

/** A Lambda function of Duplex; `T` keeps its trigger's literal types (e.g. the commands routed). */
export interface FunctionDeclaration<T extends Trigger = Trigger> {
  /** Kebab-case name, unique; also the folder under `functions/`. */
  readonly name: string;
  readonly description: string;
  /** Handler module relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly trigger: T;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly resources: readonly ResourceNeed[];
  /** Concurrency limits; by default those of its kind of trigger ({@link concurrencyFor}). */
  readonly concurrency: ConcurrencyLimits;
}

/**
 * Declares a function; the entry defaults to `functions/<name>/handler.ts`. A log-triggered
 * function may read the topics that wake it: that `consume` grant is derived from the trigger,
 * not written a second time.
 *
 * @example
 * ```ts
 * export const declaration = defineFunction({
 *   name: "order-summary-projector",
 *   description: "Read model: one summary per order.",
 *   trigger: { kind: "log", topics: ["order-events"], consumerGroup: "duplex-order-summary",
 *              ...logDefaults },
 *   timeoutSeconds: 60, memoryMb: 512,
 *   resources: [{ kind: "table", table: "read-models", access: "read-write" }],
 * });
 * ```
 */
export function defineFunction<const T extends Trigger>(
  declaration: Omit<FunctionDeclaration<T>, "entry" | "concurrency"> & {
    readonly entry?: string;
    readonly concurrency?: ConcurrencyLimits;
  },
): FunctionDeclaration<T> {
  if (!/^[a-z][a-z0-9-]{2,40}$/.test(declaration.name)) {
    throw new Error(`function name '${declaration.name}' must be kebab-case, 3-41 characters`);
  }
  const trigger: Trigger = declaration.trigger;
  const concurrency = declaration.concurrency ?? concurrencyFor(trigger);
  const { reserved, localMin, localMax } = concurrency;
  if (!(Number.isInteger(reserved) && reserved >= 1 && reserved <= 1_000)) {
    throw new Error(
      `function ${declaration.name}: concurrency.reserved must be 1-1000, got ${reserved}`,
    );
  }
  if (!(Number.isInteger(localMax) && localMax >= 1 && localMax <= reserved)) {
    throw new Error(
      `function ${declaration.name}: concurrency.localMax must be 1-${reserved} (reserved), got ${localMax}`,
    );
  }
  if (!(Number.isInteger(localMin) && localMin >= 0 && localMin <= localMax)) {
    throw new Error(
      `function ${declaration.name}: concurrency.localMin must be 0-${localMax} (localMax), got ${localMin}`,
    );
  }
  if (trigger.kind === "fast-lane") {
    // Every queue's mapping needs at least 2 (AWS's least maximum concurrency) within the
    // reservation, and locally at least one environment (its poller's).
    const queues = trigger.commands.length;
    if (reserved < 2 * queues || localMax < queues) {
      throw new Error(
        `function ${declaration.name}: ${queues} fast-lane queues need concurrency.reserved >= ${2 * queues} and localMax >= ${queues}`,
      );
    }
  }
  const consumes: readonly ResourceNeed[] =
    trigger.kind === "log" ? [{ kind: "log", access: "consume", topics: trigger.topics }] : [];
  return {
    ...declaration,
    entry: declaration.entry ?? `functions/${declaration.name}/handler.ts`,
    resources: [...declaration.resources, ...consumes],
    concurrency,
  };
}

/** What the handler of a fast-lane function receives: exactly the commands its trigger routes. */
export type CommandOf<D extends FunctionDeclaration<FastLaneTrigger>> = Extract<
  AnyCommand,
  { eventType: D["trigger"]["commands"][number] }
>;

/** Timeout and memory of every command handler on the fast lane. */
export const commandFunctionDefaults = { timeoutSeconds: 30, memoryMb: 512 } as const;

/**
 * Declares a command handler on the fast lane: the commands it routes, with the settings and
 * grants every command handler has (aggregates, idempotency and ledger tables; producing to the
 * event topics of the commands' domains, from the catalog).
 *
 * @example
 * ```ts
 * export const declaration = defineCommandFunction({
 *   name: "payment-commands",
 *   description: "Captures and refunds payments (fast lane).",
 *   commands: ["ProcessPaymentRequested", "RefundPaymentRequested"],
 * });
 * // resources include { kind: "log", access: "produce", topics: ["payment-events"] }
 * ```
 */
export function defineCommandFunction<const C extends CriticalCommandName>(options: {
  readonly name: string;
  readonly description: string;
  readonly commands: readonly C[];
}): FunctionDeclaration<FastLaneTrigger<C>> {
  const domains = options.commands.map((command) => eventDefinition(command).domain);
  return defineFunction({
    name: options.name,
    description: options.description,
    trigger: { kind: "fast-lane", commands: options.commands, ...fastLaneDefaults },
    ...commandFunctionDefaults,
    resources: [
      { kind: "table", table: "aggregates", access: "read-write" },
      { kind: "table", table: "idempotency", access: "read-write" },
      { kind: "table", table: "command-ledger", access: "read-write" },
      { kind: "log", access: "produce", topics: factTopicsOfDomains(domains) },
      { kind: "metrics" },
    ],
  });
}

/** The defaults every command handler on the fast lane uses. */
export const fastLaneDefaults = {
  batchSize: 10,
  maxBatchingWindowSeconds: 0,
  maxReceiveCount: 5,
} as const;

/** The defaults every log consumer uses. */
export const logDefaults = {
  batchSize: 100,
  // Latency over batch size: an order's next step waits for this window.
  batchingWindowSeconds: 0,
  startingPosition: "TRIM_HORIZON",
  maxRetries: 3,
  splitBatchOnError: true,
  maxRecordAgeSeconds: 3_600,
  onFailure: "dead-letters",
} as const;

/**
 * Fast-lane command handlers: 20 instances each. A command takes tens of milliseconds (a few
 * DynamoDB calls, a log append, PutEvents), so 20 handle hundreds of commands per second per
 * function; a burst beyond that waits in its queue (SQS keeps it; the mapping's maximum
 * concurrency stops the pollers from receiving what no instance could take). Locally up to 4
 * environments: the handlers mostly wait on the emulators, and more threads would only add
 * memory on a laptop's few cores.
 */
export const fastLaneConcurrency: ConcurrencyLimits = { reserved: 20, localMin: 1, localMax: 4 };

/** Scheduled sweepers: one run at a time (an overlapping sweep would only race the first). */
export const scheduleConcurrency: ConcurrencyLimits = { reserved: 1, localMin: 1, localMax: 1 };

/** Custom resources run during deployments only; one at a time is plenty. */
export const customResourceConcurrency: ConcurrencyLimits = {
  reserved: 1,
  localMin: 0,
  localMax: 1,
};

/**
 * HTTP APIs (command and query): a request takes tens of milliseconds (one idempotency write and
 * one produce, or one read), so 10 instances carry a few hundred requests a second, about the
 * stage's API Gateway throttle; beyond that callers get throttled (and retry after `Retry-After`)
 * rather than taking the instances of the log consumers that must drain what they accepted.
 * Locally 2 environments, started on the first request.
 */
export const httpConcurrency: ConcurrencyLimits = { reserved: 10, localMin: 0, localMax: 2 };

/**
 * Operators' tools (log-operations): a person or a script at a time, each sending small requests
 * one after another; 2 lets two run side by side without letting a runaway script take more.
 */
export const operatorConcurrency: ConcurrencyLimits = { reserved: 2, localMin: 0, localMax: 2 };

/**
 * Log consumers: an MSK event source mapping runs at most one invocation per partition at a time,
 * so a function on these topics never needs more instances than they have partitions, and with as
 * many reserved it is never throttled by a fast-lane burst. Locally 2 environments: the host puts
 * every waiting partition of a topic into one invocation (as Lambda may), so a few suffice.
 */
export function logConcurrency(topics: readonly TopicName[]): ConcurrencyLimits {
  const partitions = topics.reduce((sum, topic) => sum + topicSpecs[topic].partitions, 0);
  return { reserved: partitions, localMin: 1, localMax: Math.min(2, partitions) };
}

/** The concurrency limits of a kind of trigger (what {@link defineFunction} uses by default). */
export function concurrencyFor(trigger: Trigger): ConcurrencyLimits {
  switch (trigger.kind) {
    case "fast-lane":
      return fastLaneConcurrency;
    case "log":
      return logConcurrency(trigger.topics);
    case "schedule":
      return scheduleConcurrency;
    case "custom-resource":
      return customResourceConcurrency;
    case "http":
      return httpConcurrency;
    case "operator":
      return operatorConcurrency;
    default: {
      const unreachable: never = trigger;
      throw new Error(`unknown trigger ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * The `MaximumConcurrency` of each SQS event source mapping of a fast-lane function: its reserved
 * concurrency divided among its queues, at least 2 (the least AWS accepts) and at most 1,000.
 *
 * @example
 * ```ts
 * sqsMaximumConcurrency(declaration); // 6 for order-commands (20 reserved, 3 queues)
 * ```
 */
export function sqsMaximumConcurrency(declaration: FunctionDeclaration): number {
  const queues = declaration.trigger.kind === "fast-lane" ? declaration.trigger.commands.length : 1;
  return Math.min(1_000, Math.max(2, Math.floor(declaration.concurrency.reserved / queues)));
}

/**
 * Whether the function publishes events to the log (`produce` access, through the runtime's
 * publisher, which emits `LogPublishRefused` when the log does not acknowledge within the retry
 * budget). The operators' tool appends with `operate` access and answers its caller directly.
 *
 * @example
 * ```ts
 * functionDeclarations.filter(publishesToTheLog).map((d) => d.name); // ["command-api", "order-commands", ...]
 * ```
 */
export function publishesToTheLog(declaration: FunctionDeclaration): boolean {
  return declaration.resources.some((r) => r.kind === "log" && r.access === "produce");
}

/** Environment variable that carries a table's name to a function. */
export function tableEnvVar(table: TableName): string {
  return `DUPLEX_TABLE_${table.toUpperCase().replaceAll("-", "_")}`;
}

/**
 * Environment variables a function receives (besides the tables'), set by CDK on AWS and by the
 * local functions host locally.
 */
export const ENV = {
  /** Name of the fast-lane event bus. */
  eventBusName: "DUPLEX_EVENT_BUS_NAME",
  /** Comma-separated bootstrap brokers. */
  kafkaBrokers: "DUPLEX_KAFKA_BROKERS",
  /** `iam` on MSK (SASL/OAUTHBEARER with the MSK IAM signer over TLS), `none` locally. */
  kafkaAuth: "DUPLEX_KAFKA_AUTH",
  /** Codec of the log producer's batches: `lz4` unless set (`none`, `gzip`, `snappy`, `zstd`). */
  logCompression: "DUPLEX_LOG_COMPRESSION",
  /** JSON object: critical command type → URL of its fast-lane queue. */
  fastLaneQueues: "DUPLEX_FAST_LANE_QUEUES",
  /** Stage name (`local`, `dev`, `prod`). */
  stage: "DUPLEX_STAGE",
  /** Prefix of every topic name: empty on AWS, a per-run namespace locally. */
  topicPrefix: "DUPLEX_TOPIC_PREFIX",
} as const;

/**
 * The need to read where a log trigger's consumer groups stand (a sweeper judging deadlines by its
 * consumer's watermark).
 *
 * @example
 * ```ts
 * resources: [positionsOf(sagaTrigger)] // DescribeTopic + DescribeGroup, nothing that alters
 * ```
 */
export function positionsOf(trigger: LogTrigger): ResourceNeed {
  return {
    kind: "log",
    access: "positions",
    topics: trigger.topics,
    consumerGroups: trigger.topics.map((topic) => consumerGroupFor(trigger, topic)),
  };
}

/**
 * The consumer group of one (function, topic) pair. An MSK event source mapping takes one topic,
 * so a function on several topics has one mapping, and one group, per topic; the local host does
 * the same so offsets and lag mean the same thing in both places.
 */
export function consumerGroupFor(trigger: LogTrigger, topic: TopicName): string {
  return `${trigger.consumerGroup}.${topic}`;
}
