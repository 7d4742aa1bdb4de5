import { join } from "node:path";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { FunctionDeclaration } from "../../functions/kit/declarations.ts";
import { consumerGroupFor, ENV, tableEnvVar } from "../../functions/kit/declarations.ts";
import type { History } from "../../functions/kit/history.ts";
import { HISTORY_DIR_ENV, noHistory, openHistory } from "../../functions/kit/history.ts";
import type { LogClientName } from "../../functions/kit/log/client.ts";
import { createLogClient } from "../../functions/kit/log/client.ts";
import { namespacedProducer, physicalTopic } from "../../functions/kit/log/namespace.ts";
import type { LogClient, LogProducer } from "../../functions/kit/log/port.ts";
import { functionDeclarations } from "../../functions/registry.ts";
import type { LocalEndpoints } from "../stack/endpoints.ts";
import { type HttpGateway, startHttpGateway } from "./http-gateway.ts";
import { LocalFunction } from "./local-function.ts";
import { LogPoller } from "./log-poller.ts";
import type { LocalResources } from "./resources.ts";
import { SqsPoller } from "./sqs-poller.ts";

/** Settings that are environment variables of the functions (see functions/kit/settings.ts). */
export interface LocalSettings {
  readonly fastLaneDeadlineSeconds?: number;
  readonly outboxGraceSeconds?: number;
  readonly logLevel?: "DEBUG" | "INFO" | "WARN" | "ERROR";
  /** Records the run history into this folder (`DUPLEX_HISTORY_DIR`); off when unset. */
  readonly historyDir?: string;
  /** `DUPLEX_PUBLISH_RETRY_BUDGET_SECONDS` of every function (default: the kit's, 10 s). */
  readonly publishRetryBudgetSeconds?: number;
}

export interface HostOptions {
  readonly resources: LocalResources;
  readonly endpoints: LocalEndpoints;
  /** Function names to run; all but custom resources by default. */
  readonly functions?: readonly string[];
  /**
   * The declarations the host runs (default: every function of `functions/registry.ts`); tests
   * run probe functions through the host's own wiring this way.
   */
  readonly declarations?: readonly FunctionDeclaration[];
  /** Topic namespace of this run (`DUPLEX_TOPIC_PREFIX`); consumer groups get it too. */
  readonly topicPrefix?: string;
  readonly settings?: LocalSettings;
  /** Extra variables per function (a drill's failure switch, a tighter timeout...). */
  readonly functionEnv?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly kafkaClient?: LogClientName;
  /** Start every function's minimum of environments (at least one) before taking records (default true). */
  readonly prewarm?: boolean;
  /**
   * A cap on every function's execution environments, below its declared `concurrency.localMax`
   * (e.g. 1 in a test that wants one invocation at a time). Each environment is a worker thread on
   * this machine, with its own cold start and memory.
   */
  readonly maxConcurrency?: number;
  /**
   * An idle execution environment is discarded after this long, down to the function's
   * `concurrency.localMin` (default 60 s; 0 keeps every environment).
   */
  readonly idleTimeoutMs?: number;
  /**
   * A cap on SQS pollers per queue. By default a fast-lane function's environments are shared out
   * among its queues, one poller per environment, so nothing is received that no environment
   * could take (Lambda's maximum concurrency of an SQS event source mapping).
   */
  readonly pollersPerQueue?: number;
  readonly logDir?: string;
  /**
   * Port of the local HTTP API (the functions with an `http` trigger) on 127.0.0.1; 0 (the
   * default) picks a free one. The URL is `host.api?.url` and in the session description.
   */
  readonly apiPort?: number;
}

/** A trigger of the local host, described as an event source mapping. */
export interface LocalMapping {
  readonly kind: "fast-lane" | "log";
  readonly functionName: string;
  /** The physical topic or the queue name. */
  readonly source: string;
  readonly groupId?: string;
  readonly running: boolean;
  readonly lastProcessingResult: string;
}

/**
 * The pollers of queue `index` of a function with `queues` queues and `environments` execution
 * environments: the environments shared out, the first queues taking the remainder, at least one.
 */
export function pollersOfQueue(environments: number, queues: number, index: number): number {
  const base = Math.floor(environments / queues);
  return Math.max(1, base + (index < environments - base * queues ? 1 : 0));
}

export interface HostStats {
  readonly functions: Record<
    string,
    {
      invocations: number;
      errors: number;
      coldStarts: number;
      crashes: number;
      avgMs: number;
      /** Execution environments alive now, the most at once, and how many were reaped idle. */
      environments: number;
      peakEnvironments: number;
      reaped: number;
    }
  >;
  readonly deadLetteredByHost: number;
}

/**
 * The local functions host: runs every declared function against the local stack with the
 * semantics of Lambda's event source mappings, reading the same declarations CDK reads. Handlers
 * get the same environment variables as on AWS (plus `AWS_ENDPOINT_URL`) and cannot tell the
 * difference.
 *
 * @example
 * ```ts
 * const host = await FunctionHost.start({ resources, endpoints });
 * // ... publish commands; they flow through both lanes ...
 * await host.stop();
 * ```
 */
export class FunctionHost {
  readonly functions = new Map<string, LocalFunction>();
  readonly sqsPollers: SqsPoller[] = [];
  readonly logPollers: LogPoller[] = [];
  readonly #schedules: ScheduledRun[] = [];
  readonly #httpFunctions: LocalFunction[] = [];
  #api: HttpGateway | undefined;
  readonly #log: LogClient;
  readonly #deadLetters: LogProducer;
  readonly #history: History;
  readonly options: HostOptions;

  private constructor(options: HostOptions) {
    this.options = options;
    this.#log = createLogClient(
      {
        brokers: options.endpoints.kafkaBrokers,
        auth: "none",
        clientId: "duplex-local-host",
      },
      options.kafkaClient,
    );
    this.#deadLetters = namespacedProducer(this.#log.producer(), options.topicPrefix ?? "");
    const historyDir = options.settings?.historyDir;
    this.#history = historyDir === undefined ? noHistory : openHistory(historyDir);
  }

  static async start(options: HostOptions): Promise<FunctionHost> {
    const host = new FunctionHost(options);
    await host.#startAll();
    return host;
  }

  /** The variables a function receives: what CDK sets on AWS, pointed at the local stack. */
  environmentFor(declaration: FunctionDeclaration): Record<string, string> {
    const { resources, endpoints, settings = {} } = this.options;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? "",
      AWS_ENDPOINT_URL: endpoints.awsEndpoint,
      // The SDK sends DynamoDB calls here (DynamoDB Local on the local stack).
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodbEndpoint,
      AWS_REGION: endpoints.region,
      AWS_DEFAULT_REGION: endpoints.region,
      AWS_ACCESS_KEY_ID: endpoints.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: endpoints.credentials.secretAccessKey,
      AWS_LAMBDA_FUNCTION_NAME: declaration.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(declaration.memoryMb),
      POWERTOOLS_SERVICE_NAME: declaration.name,
      POWERTOOLS_METRICS_NAMESPACE: "Duplex",
      POWERTOOLS_LOG_LEVEL: settings.logLevel ?? "WARN",
      [ENV.stage]: "local",
      [ENV.eventBusName]: resources.eventBusName,
      [ENV.kafkaBrokers]: endpoints.kafkaBrokers.join(","),
      [ENV.kafkaAuth]: "none",
      [ENV.fastLaneQueues]: JSON.stringify(
        Object.fromEntries(Object.entries(resources.commandQueues).map(([c, q]) => [c, q.url])),
      ),
      DUPLEX_KAFKA_CLIENT: this.options.kafkaClient ?? "platformatic",
      [ENV.topicPrefix]: this.options.topicPrefix ?? "",
    };
    for (const [table, name] of Object.entries(resources.tables)) {
      env[tableEnvVar(table as keyof typeof resources.tables)] = name;
    }
    if (settings.fastLaneDeadlineSeconds !== undefined) {
      env.DUPLEX_FAST_LANE_DEADLINE_SECONDS = String(settings.fastLaneDeadlineSeconds);
    }
    if (settings.outboxGraceSeconds !== undefined) {
      env.DUPLEX_OUTBOX_GRACE_SECONDS = String(settings.outboxGraceSeconds);
    }
    if (settings.historyDir !== undefined) env[HISTORY_DIR_ENV] = settings.historyDir;
    if (settings.publishRetryBudgetSeconds !== undefined) {
      env.DUPLEX_PUBLISH_RETRY_BUDGET_SECONDS = String(settings.publishRetryBudgetSeconds);
    }
    return { ...env, ...(this.options.functionEnv?.[declaration.name] ?? {}) };
  }

  /** Invokes a function directly (as `aws lambda invoke` would). */
  invoke(functionName: string, event: unknown): Promise<unknown> {
    const fn = this.functions.get(functionName);
    if (fn === undefined) throw new Error(`no function ${functionName} in the local host`);
    return fn.invoke(event);
  }

  /** Changes a function's environment and restarts it (a redeploy), e.g. to break or fix it. */
  async redeploy(functionName: string, env: Record<string, string>): Promise<void> {
    const fn = this.functions.get(functionName);
    if (fn === undefined) throw new Error(`no function ${functionName} in the local host`);
    await fn.redeploy(env);
  }

  stats(): HostStats {
    const functions: HostStats["functions"] = {};
    for (const [name, fn] of this.functions) {
      functions[name] = {
        invocations: fn.stats.invocations,
        errors: fn.stats.errors,
        coldStarts: fn.stats.coldStarts,
        crashes: fn.stats.crashes,
        avgMs: fn.stats.invocations === 0 ? 0 : fn.stats.totalMs / fn.stats.invocations,
        environments: fn.environments,
        peakEnvironments: fn.stats.peakEnvironments,
        reaped: fn.stats.reaped,
      };
    }
    return {
      functions,
      deadLetteredByHost: this.logPollers.reduce((n, p) => n + p.deadLettered, 0),
    };
  }

  /** Writes what the host recorded in the run history (records it dead-lettered). */
  flushHistory(): Promise<void> {
    return this.#history.flush();
  }

  /**
   * Kills an execution environment of `functionName` that is in the middle of an invocation (a
   * drill's crash). Returns whether one was busy.
   */
  crashEnvironment(functionName: string): Promise<boolean> {
    const fn = this.functions.get(functionName);
    if (fn === undefined) throw new Error(`no function ${functionName} in the local host`);
    return fn.crashBusyEnvironment();
  }

  /** Stops the triggers of one function (its queue pollers and consumers); for drills. */
  async pauseTriggers(functionName: string): Promise<void> {
    await Promise.all([
      ...this.sqsPollers.filter((p) => p.functionName === functionName).map((p) => p.stop()),
      ...this.logPollers.filter((p) => p.functionName === functionName).map((p) => p.stop()),
    ]);
  }

  /**
   * Stops every trigger and schedule except those of the functions named, and waits for the
   * invocations they started to end: after a run timed out, the command handlers, sagas and
   * sweepers stop writing while the read-model projectors catch up, so what is checked next
   * stands still.
   */
  async stopAllBut(keep: readonly string[]): Promise<void> {
    const stops = (name: string) => !keep.includes(name);
    await Promise.all([
      ...this.sqsPollers.filter((p) => stops(p.functionName)).map((p) => p.stop()),
      ...this.logPollers.filter((p) => stops(p.functionName)).map((p) => p.stop()),
      ...this.#schedules.filter((s) => stops(s.functionName)).map((s) => s.stop()),
    ]);
  }

  /** Starts every trigger and schedule again after {@link stopAllBut}. */
  resumeAll(): void {
    for (const poller of this.sqsPollers) poller.start();
    for (const poller of this.logPollers) poller.start();
    for (const schedule of this.#schedules) schedule.start();
  }

  /** The log consumers of this host, for operators' tools (`duplex lag`, `duplex replay log`). */
  consumers(): { groupId: string; functionName: string; topic: string; running: boolean }[] {
    return this.logPollers.map((p) => ({
      groupId: p.groupId,
      functionName: p.functionName,
      topic: p.topic,
      running: p.running,
    }));
  }

  /**
   * Every trigger of the host as an event source mapping would describe it: the function, its
   * source (a topic or a queue), whether it runs, and its last processing result.
   */
  mappings(): LocalMapping[] {
    const bySource = new Map<string, LocalMapping>();
    for (const p of this.sqsPollers) {
      const key = `${p.functionName} ${p.queueName}`;
      const seen = bySource.get(key);
      // Several pollers share a queue, as Lambda's do: the mapping runs if any of them does.
      bySource.set(key, {
        kind: "fast-lane",
        functionName: p.functionName,
        source: p.queueName,
        running: (seen?.running ?? false) || p.running,
        lastProcessingResult:
          seen?.lastProcessingResult.startsWith("PROBLEM") === true
            ? seen.lastProcessingResult
            : p.lastProcessingResult,
      });
    }
    const log = this.logPollers.map(
      (p): LocalMapping => ({
        kind: "log",
        functionName: p.functionName,
        source: p.topic,
        groupId: p.groupId,
        running: p.running,
        lastProcessingResult: p.lastProcessingResult,
      }),
    );
    return [...bySource.values(), ...log];
  }

  /** Stops the pollers of one consumer group (they leave the group); false if none has it. */
  async pauseConsumer(groupId: string): Promise<boolean> {
    const pollers = this.logPollers.filter((p) => p.groupId === groupId);
    await Promise.all(pollers.filter((p) => p.running).map((p) => p.stop()));
    return pollers.length > 0;
  }

  /** Starts the pollers of one consumer group again (from its committed offsets). */
  resumeConsumer(groupId: string): boolean {
    const pollers = this.logPollers.filter((p) => p.groupId === groupId);
    for (const poller of pollers) if (!poller.running) poller.start();
    return pollers.length > 0;
  }

  /** Starts a function's triggers again after {@link pauseTriggers}. */
  resumeTriggers(functionName: string): void {
    for (const poller of this.sqsPollers) if (poller.functionName === functionName) poller.start();
    for (const poller of this.logPollers) if (poller.functionName === functionName) poller.start();
  }

  /** The local HTTP API, when a declared function has an `http` trigger. */
  get api(): HttpGateway | undefined {
    return this.#api;
  }

  async stop(): Promise<void> {
    await this.#api?.close();
    // Timers only: an invocation a schedule started ends with its environment (closed below).
    for (const schedule of this.#schedules) void schedule.stop();
    await Promise.all([
      ...this.sqsPollers.map((p) => p.stop()),
      ...this.logPollers.map((p) => p.stop()),
    ]);
    await Promise.all([...this.functions.values()].map((f) => f.close()));
    await this.#deadLetters.close();
    await this.#history.flush();
  }

  async #startAll(): Promise<void> {
    const wanted = this.options.functions;
    const logDir = this.options.logDir ?? join(process.cwd(), ".duplex", "logs", "functions");
    const sqs = new SQSClient({
      endpoint: this.options.endpoints.awsEndpoint,
      region: this.options.endpoints.region,
      credentials: this.options.endpoints.credentials,
    });
    // Lambda and MSK have no emulator here: their ARNs take the emulator's region and account.
    const { region, accountId } = this.options.resources;
    for (const declaration of this.options.declarations ?? functionDeclarations) {
      if (declaration.trigger.kind === "custom-resource") continue;
      if (wanted !== undefined && !wanted.includes(declaration.name)) continue;
      const { localMin, localMax } = declaration.concurrency;
      const maxConcurrency = Math.min(localMax, this.options.maxConcurrency ?? localMax);
      const fn = new LocalFunction(declaration, this.environmentFor(declaration), logDir, {
        maxConcurrency,
        minEnvironments: Math.min(localMin, maxConcurrency),
        idleTimeoutMs: this.options.idleTimeoutMs ?? 60_000,
        functionArn: `arn:aws:lambda:${region}:${accountId}:function:${declaration.name}`,
      });
      this.functions.set(declaration.name, fn);
      const trigger = declaration.trigger;
      switch (trigger.kind) {
        case "fast-lane":
          for (const [index, command] of trigger.commands.entries()) {
            const queue = this.options.resources.commandQueues[command];
            if (queue === undefined) throw new Error(`no queue provisioned for ${command}`);
            const pollers = Math.min(
              pollersOfQueue(maxConcurrency, trigger.commands.length, index),
              this.options.pollersPerQueue ?? Number.POSITIVE_INFINITY,
            );
            for (let i = 0; i < pollers; i++) {
              const poller = new SqsPoller(sqs, fn, queue, trigger, this.options.endpoints.region);
              this.sqsPollers.push(poller);
            }
          }
          break;
        case "log":
          for (const topic of trigger.topics) {
            this.logPollers.push(
              new LogPoller({
                fn,
                trigger,
                topic: physicalTopic(this.options.topicPrefix ?? "", topic),
                groupId: `${this.options.topicPrefix ?? ""}${consumerGroupFor(trigger, topic)}`,
                log: this.#log,
                deadLetters: this.#deadLetters,
                history: this.#history,
                eventSourceArn: `arn:aws:kafka:${region}:${accountId}:cluster/duplex-local/local`,
              }),
            );
          }
          break;
        case "schedule":
          this.#schedules.push(new ScheduledRun(fn, declaration.name, trigger.localEverySeconds));
          break;
        case "http":
          this.#httpFunctions.push(fn);
          break;
        case "operator":
          // No event source: operators invoke it through the control endpoint.
          break;
        default: {
          const unreachable: never = trigger;
          throw new Error(`unknown trigger ${JSON.stringify(unreachable)}`);
        }
      }
    }
    if (this.options.prewarm !== false) {
      // Operator functions start on first use: a session may never be operated.
      await Promise.all(
        [...this.functions.values()]
          .filter((fn) => fn.declaration.trigger.kind !== "operator")
          .map((fn) => fn.warm()),
      );
    }
    for (const poller of this.sqsPollers) poller.start();
    for (const poller of this.logPollers) poller.start();
    if (this.#httpFunctions.length > 0) {
      this.#api = await startHttpGateway(
        this.#httpFunctions,
        this.options.apiPort ?? 0,
        this.options.resources.accountId,
      );
    }
  }
}

/** A schedule-triggered function's local timer: one invocation at a time, stoppable. */
class ScheduledRun {
  readonly functionName: string;
  readonly #fn: LocalFunction;
  readonly #everyMs: number;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<unknown> | undefined;

  constructor(fn: LocalFunction, functionName: string, everySeconds: number) {
    this.functionName = functionName;
    this.#fn = fn;
    this.#everyMs = everySeconds * 1000;
    this.start();
  }

  /** Starts the timer; a running one is left as it is. */
  start(): void {
    this.#timer ??= setInterval(() => {
      if (this.#inFlight !== undefined) return;
      this.#inFlight = this.#fn
        .invoke({
          source: "aws.scheduler",
          "detail-type": "Scheduled Event",
          time: new Date().toISOString(),
        })
        .catch(() => undefined)
        .finally(() => {
          this.#inFlight = undefined;
        });
    }, this.#everyMs);
  }

  /** Stops the timer and waits for the invocation it started, if one runs. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
  }
}
