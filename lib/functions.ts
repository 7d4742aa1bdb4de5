import { join } from "node:path";
import { Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import type { ISecurityGroup, IVpc, SubnetSelection } from "aws-cdk-lib/aws-ec2";
import { Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import {
  ApplicationLogLevel,
  Architecture,
  type EventSourceMapping,
  LoggingFormat,
  MetricType,
  Runtime,
  StartingPosition,
  SystemLogLevel,
  Tracing,
} from "aws-cdk-lib/aws-lambda";
import { KafkaDlq, SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { type BundlingOptions, NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct, type IDependable } from "constructs";
import { topicSpecs } from "../events/topics.ts";
import type { FunctionDeclaration } from "../functions/kit/declarations.ts";
import { ENV, sqsMaximumConcurrency, tableEnvVar } from "../functions/kit/declarations.ts";
import type { DuplexTables } from "./data.ts";
import type { EventLog } from "./event-log.ts";
import type { FastLane } from "./fast-lane.ts";
import { mappingStatements, statementsForNeed } from "./permissions.ts";
import { DeadLetterQueue } from "./queues.ts";
import type { FastLaneRoute, LogMapping, ScheduleRoute } from "./routes.ts";

/** Namespace of every Duplex metric (Powertools Metrics). */
export const METRICS_NAMESPACE = "Duplex";

/**
 * Metric groups every MSK event source mapping publishes (per mapping, dimension
 * `EventSourceMappingUUID`): `EventCount` (`PolledEventCount` — 0 on an empty poll, so its absence
 * means the mapping is not polling — `OnFailureDestinationDeliveredEventCount`,
 * `DroppedEventCount`, …), `ErrorCount` (`OnFailureDestinationDeliveryErrorCount`,
 * `PollingErrorCount`, …) and `KafkaMetrics` (`SumOffsetLag`, `MaxOffsetLag`). Lambda Developer
 * Guide, "Event source mapping metrics".
 */
export const MAPPING_METRICS: readonly MetricType[] = [
  MetricType.EVENT_COUNT,
  MetricType.ERROR_COUNT,
  MetricType.KAFKA_METRICS,
];

/** SQS visibility timeout as a multiple of the consumer's timeout (AWS's guidance: at least 6). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/**
 * Lets esbuild's ESM output load CommonJS dependencies that call `require` (the AWS SDK and some
 * Kafka client internals do).
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __duplexCreateRequire } from 'node:module'; const require = __duplexCreateRequire(import.meta.url);";

/**
 * Packages swapped for a bundle-friendly entry point. `@platformatic/wasm-utils` (used by the
 * Kafka client for CRC32C, LZ4 and Snappy) reads `native.wasm` next to its own file at load time,
 * which does not exist inside a bundle; its `bundled` entry inlines the WebAssembly.
 */
export const ESBUILD_ALIASES: readonly string[] = [
  "@platformatic/wasm-utils=@platformatic/wasm-utils/bundled",
];

/**
 * How NodejsFunction bundles every function (esbuild, locally). `test/support/bundles.ts` builds
 * the same bundles with esbuild's API to measure them and to check what they contain.
 */
export const FUNCTION_BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: "node24",
  mainFields: ["module", "main"],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // Ship the SDK versions the code was tested with rather than the runtime's copy.
  bundleAwsSDK: true,
  forceDockerBundling: false,
  esbuildArgs: { "--alias": [...ESBUILD_ALIASES] },
};

/**
 * Provisioned pollers of the MSK mapping of `topic`: the stage's minimum and maximum, the maximum
 * capped at the topic's partitions (one poller reads at least one partition; ~5 MB/s each) and
 * never below the minimum.
 */
export function pollerConfig(
  pollers: { readonly minimum: number; readonly maximum: number } | undefined,
  topic: string,
  pollerGroupName: string,
): { minimumPollers: number; maximumPollers: number; pollerGroupName: string } {
  const minimumPollers = pollers?.minimum ?? 1;
  const partitions =
    topicSpecs[topic as keyof typeof topicSpecs]?.partitions ?? Number.POSITIVE_INFINITY;
  const maximumPollers = Math.max(minimumPollers, Math.min(pollers?.maximum ?? 2, partitions));
  return { minimumPollers, maximumPollers, pollerGroupName };
}

/** A function's log level, as Lambda's advanced logging controls and Powertools name them. */
export type FunctionLogLevel = "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "FATAL";

/** Properties of {@link DuplexFunctions}. */
export interface DuplexFunctionsProps {
  /** Stage name, passed to every function as `DUPLEX_STAGE`. */
  readonly stage: string;
  /** Prefix of function and queue names, e.g. `duplex-dev`. */
  readonly namePrefix: string;
  /** Every function declaration (`functions/registry.ts`). */
  readonly declarations: readonly FunctionDeclaration[];
  /** Absolute path of the repository: entries are relative to it, and so is the lock file. */
  readonly repositoryRoot: string;
  readonly vpc: IVpc;
  readonly subnets: SubnetSelection;
  /** Security group of every function. */
  readonly securityGroup: ISecurityGroup;
  readonly eventLog: EventLog;
  readonly fastLane: FastLane;
  readonly tables: DuplexTables;
  /** Key of the tables. */
  readonly dataKey: IKey;
  /** Key of the queues and the bus. */
  readonly messagingKey: IKey;
  /** Key of the function log groups. */
  readonly logsKey: IKey;
  readonly fastLaneRoutes: readonly FastLaneRoute[];
  readonly logMappings: readonly LogMapping[];
  readonly scheduleRoutes: readonly ScheduleRoute[];
  /**
   * Log level of every function.
   *
   * @default "INFO"
   */
  readonly logLevel?: FunctionLogLevel;
  readonly logRetention: RetentionDays;
  /**
   * X-Ray active tracing.
   *
   * @default true
   */
  readonly tracing?: boolean;
  /**
   * Provisioned pollers of each MSK event source mapping; all mappings share one poller group. The
   * maximum is capped at the topic's partitions (a poller beyond one per partition has nothing to
   * read).
   *
   * @default { minimum: 1, maximum: 2 }
   */
  readonly pollers?: { readonly minimum: number; readonly maximum: number };
  /**
   * Reserve each function's declared concurrency (`concurrency.reserved`). Off only for an account
   * whose concurrency quota cannot hold the sum plus the 100 Lambda keeps unreserved; the SQS
   * mappings' maximum concurrency applies either way.
   *
   * @default true
   */
  readonly reserveConcurrency?: boolean;
  /**
   * Retention of the schedule dead-letter queues.
   *
   * @default Duration.days(14)
   */
  readonly deadLetterRetention?: Duration;
}

/** A deployed function with what was made for it. */
export interface DuplexFunction {
  readonly declaration: FunctionDeclaration;
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  /** MSK event source mappings, by topic. */
  readonly kafkaMappings: ReadonlyMap<string, EventSourceMapping>;
  /** The dead-letter queue of a scheduled function's failed runs. */
  readonly scheduleDeadLetterQueue?: DeadLetterQueue;
  readonly scheduleRule?: Rule;
}

/**
 * One `NodejsFunction` per declaration (ARM64, Node.js 24, an ESM bundle made by esbuild,
 * Powertools settings in the environment, in the VPC's private subnets) with the trigger its
 * declaration names:
 *
 * - fast lane: an SQS event source per command with partial batch responses;
 * - log: one MSK event source mapping per topic (one consumer group each) in provisioned mode
 *   with batch size, window, starting position, retries, split on error, maximum record age and
 *   the `dead-letters` topic as on-failure destination;
 * - schedule: an EventBridge rule on a rate, with a dead-letter queue;
 * - custom resource: nothing here (see {@link TopicProvisioning}).
 *
 * Each function gets its own role holding only the statements its `resources` need.
 *
 * @example
 * ```ts
 * const fns = new DuplexFunctions(this, "Functions", { declarations: functionDeclarations, ... });
 * fns.get("order-commands").function.functionName;
 * ```
 */
export class DuplexFunctions extends Construct {
  private readonly functions = new Map<string, DuplexFunction>();
  private readonly props: DuplexFunctionsProps;

  constructor(scope: Construct, id: string, props: DuplexFunctionsProps) {
    super(scope, id);
    this.props = props;
    for (const declaration of props.declarations) {
      this.functions.set(declaration.name, this.create(declaration));
    }
  }

  /** The function of a declaration name. */
  get(name: string): DuplexFunction {
    const found = this.functions.get(name);
    if (found === undefined) throw new Error(`no function '${name}'`);
    return found;
  }

  /** The MSK event source mapping of a function on a topic. */
  kafkaMapping(name: string, topic: string): EventSourceMapping {
    const mapping = this.get(name).kafkaMappings.get(topic);
    if (mapping === undefined) throw new Error(`function '${name}' has no mapping on ${topic}`);
    return mapping;
  }

  /** Every function, in declaration order. */
  all(): readonly DuplexFunction[] {
    return [...this.functions.values()];
  }

  /** Roles of the functions that may put events on the bus. */
  busProducerRoleArns(): string[] {
    return this.all()
      .filter((f) => f.declaration.resources.some((need) => need.kind === "bus"))
      .map((f) => f.role.roleArn);
  }

  /** Makes every MSK mapping wait for something (the topics it reads and fails into). */
  mappingsDependOn(dependency: IDependable): void {
    for (const fn of this.all()) {
      for (const mapping of fn.kafkaMappings.values()) mapping.node.addDependency(dependency);
    }
  }

  private create(declaration: FunctionDeclaration): DuplexFunction {
    const props = this.props;
    const scope = new Construct(this, declaration.name);
    const functionName = `${props.namePrefix}-${declaration.name}`;
    const role = new Role(scope, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `${functionName}: only what functions/${declaration.name}/function.ts declares`,
    });
    const logGroup = new LogGroup(scope, "Logs", {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: props.logRetention,
      encryptionKey: props.logsKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const schedule = this.scheduleOf(declaration);
    const scheduleDeadLetterQueue =
      schedule &&
      new DeadLetterQueue(scope, "ScheduleDeadLetters", {
        queueName: `${functionName}-schedule-dlq`,
        encryptionKey: props.messagingKey,
        source: "lambda-async",
        retentionPeriod: props.deadLetterRetention,
      });

    const fn = new NodejsFunction(scope, "Function", {
      functionName,
      description: declaration.description.slice(0, 256),
      entry: join(props.repositoryRoot, declaration.entry),
      handler: "handler",
      projectRoot: props.repositoryRoot,
      depsLockFilePath: join(props.repositoryRoot, "package-lock.json"),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: declaration.memoryMb,
      timeout: Duration.seconds(declaration.timeoutSeconds),
      // Each kind of function has its own share: a fast-lane burst cannot take the instances the
      // log consumers and sweepers need (functions/kit/declarations.ts says why each is sized so).
      ...((props.reserveConcurrency ?? true)
        ? { reservedConcurrentExecutions: declaration.concurrency.reserved }
        : {}),
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel[props.logLevel ?? "INFO"],
      systemLogLevelV2: SystemLogLevel.WARN,
      tracing: (props.tracing ?? true) ? Tracing.ACTIVE : Tracing.DISABLED,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [props.securityGroup],
      deadLetterQueue: scheduleDeadLetterQueue?.queue,
      environment: this.environmentOf(declaration),
      bundling: FUNCTION_BUNDLING,
    });

    this.grantBasics(declaration, role, logGroup, scheduleDeadLetterQueue);
    for (const need of declaration.resources) {
      for (const statement of statementsForNeed(need, this.targets())) role.addToPolicy(statement);
    }

    const kafkaMappings = this.wireTrigger(declaration, fn, role);
    const scheduleRule =
      schedule && scheduleDeadLetterQueue
        ? new Rule(scope, "Schedule", {
            description: `Runs ${functionName} every ${schedule.everyMinutes} minute(s)`,
            schedule: Schedule.rate(Duration.minutes(schedule.everyMinutes)),
            targets: [
              new LambdaFunction(fn, {
                deadLetterQueue: scheduleDeadLetterQueue.queue,
                retryAttempts: 2,
                maxEventAge: Duration.minutes(Math.max(1, schedule.everyMinutes)),
              }),
            ],
          })
        : undefined;

    this.acknowledge(declaration, scope);
    return {
      declaration,
      function: fn,
      role,
      logGroup,
      kafkaMappings,
      ...(scheduleDeadLetterQueue ? { scheduleDeadLetterQueue } : {}),
      ...(scheduleRule ? { scheduleRule } : {}),
    };
  }

  private scheduleOf(declaration: FunctionDeclaration) {
    return this.props.scheduleRoutes.find((r) => r.handler.name === declaration.name)?.trigger;
  }

  private targets() {
    const props = this.props;
    return {
      tableArn: (table: Parameters<DuplexTables["table"]>[0]) => props.tables.table(table).tableArn,
      indexArns: (table: Parameters<DuplexTables["table"]>[0]) => props.tables.indexArns(table),
      dataKeyArn: props.dataKey.keyArn,
      busArn: props.fastLane.bus.eventBusArn,
      fastLaneQueueArns: props.fastLane.allChannels().map((c) => c.queue.queueArn),
      messagingKeyArn: props.messagingKey.keyArn,
      kafka: props.eventLog.arns,
      consumerGroups: props.logMappings.map((m) => m.consumerGroup),
    };
  }

  private environmentOf(declaration: FunctionDeclaration): Record<string, string> {
    const props = this.props;
    const env: Record<string, string> = {
      [ENV.stage]: props.stage,
      POWERTOOLS_SERVICE_NAME: declaration.name,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: props.logLevel ?? "INFO",
      NODE_OPTIONS: "--enable-source-maps",
    };
    for (const need of declaration.resources) {
      switch (need.kind) {
        case "table":
          env[tableEnvVar(need.table)] = props.tables.table(need.table).tableName;
          break;
        case "bus":
          env[ENV.eventBusName] = props.fastLane.bus.eventBusName;
          break;
        case "log":
          env[ENV.kafkaBrokers] = props.eventLog.bootstrapBrokers;
          env[ENV.kafkaAuth] = "iam";
          break;
        case "fast-lane-queues":
          env[ENV.fastLaneQueues] = Stack.of(this).toJsonString(
            Object.fromEntries(
              props.fastLane.allChannels().map((c) => [c.command, c.queue.queueUrl]),
            ),
          );
          break;
        case "metrics":
          break;
      }
    }
    return env;
  }

  private grantBasics(
    declaration: FunctionDeclaration,
    role: Role,
    logGroup: LogGroup,
    scheduleDeadLetterQueue: DeadLetterQueue | undefined,
  ): void {
    role.addToPolicy(
      new PolicyStatement({
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [logGroup.logGroupArn],
      }),
    );
    // Lambda places the function's network interfaces (and, for MSK triggers, its pollers'
    // interfaces) with the execution role. EC2 has no resource-level permissions for these
    // Describe calls and the interface ids are not known in advance.
    const eni = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
      "ec2:DescribeSubnets",
    ];
    if (declaration.trigger.kind === "log")
      eni.push("ec2:DescribeVpcs", "ec2:DescribeSecurityGroups");
    role.addToPolicy(new PolicyStatement({ actions: eni, resources: ["*"] }));
    if (scheduleDeadLetterQueue) {
      role.addToPolicy(
        new PolicyStatement({
          actions: ["kms:GenerateDataKey", "kms:Decrypt"],
          resources: [this.props.messagingKey.keyArn],
        }),
      );
    }
    Validations.of(role).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "Only the EC2 network-interface actions Lambda needs to attach the function (and its MSK pollers) to the VPC, and X-Ray's PutTraceSegments/PutTelemetryRecords; none of these actions supports resource-level permissions. Every data-plane statement names exact ARNs.",
    });
  }

  private wireTrigger(
    declaration: FunctionDeclaration,
    fn: NodejsFunction,
    role: Role,
  ): Map<string, EventSourceMapping> {
    const props = this.props;
    const mappings = new Map<string, EventSourceMapping>();
    const trigger = declaration.trigger;
    if (trigger.kind === "fast-lane") {
      for (const route of props.fastLaneRoutes.filter((r) => r.handler.name === declaration.name)) {
        const channel = props.fastLane.channel(route.command);
        fn.addEventSource(
          new SqsEventSource(channel.queue, {
            batchSize: trigger.batchSize,
            maxBatchingWindow: Duration.seconds(trigger.maxBatchingWindowSeconds),
            reportBatchItemFailures: true,
            // The function's reservation shared among its queues: the pollers stop receiving when
            // the instances are busy, instead of receiving messages whose invocation would be
            // throttled (each throttle spends one of the message's maxReceiveCount receives).
            maxConcurrency: sqsMaximumConcurrency(declaration),
          }),
        );
      }
    }
    if (trigger.kind === "log") {
      const policy = role.node.tryFindChild("DefaultPolicy");
      for (const mapping of props.logMappings.filter((m) => m.handler.name === declaration.name)) {
        for (const statement of mappingStatements(
          props.eventLog.arns,
          mapping.topic,
          mapping.consumerGroup,
          trigger.onFailure,
        )) {
          role.addToPolicy(statement);
        }
        const esm = fn.addEventSourceMapping(`Kafka-${mapping.topic}`, {
          eventSourceArn: props.eventLog.clusterArn,
          kafkaTopic: mapping.topic,
          kafkaConsumerGroupId: mapping.consumerGroup,
          startingPosition: StartingPosition[trigger.startingPosition],
          batchSize: trigger.batchSize,
          maxBatchingWindow: Duration.seconds(trigger.batchingWindowSeconds),
          retryAttempts: trigger.maxRetries,
          bisectBatchOnError: trigger.splitBatchOnError,
          // The log adapter answers with per-record failures (`<topic>-<partition>-<offset>`), so
          // Lambda resumes from the first failed record instead of retrying the whole batch.
          reportBatchItemFailures: true,
          maxRecordAge: Duration.seconds(trigger.maxRecordAgeSeconds),
          onFailure: new KafkaDlq(trigger.onFailure),
          provisionedPollerConfig: pollerConfig(
            props.pollers,
            mapping.topic,
            `${props.namePrefix}-log-consumers`,
          ),
          // Always on: the not-consuming, dead-letter and records-lost alarms read them.
          metricsConfig: { metrics: [...MAPPING_METRICS] },
        });
        // The mapping is validated against the role when it is created.
        if (policy) esm.node.addDependency(policy);
        mappings.set(mapping.topic, esm);
      }
    }
    return mappings;
  }

  private acknowledge(declaration: FunctionDeclaration, scope: Construct): void {
    const kind = declaration.trigger.kind;
    if (kind === "schedule") return;
    const why: Record<Exclude<typeof kind, "schedule">, string> = {
      "fast-lane":
        "Invoked only synchronously by SQS event source mappings; a message that keeps failing goes to its queue's dead-letter queue (redrive policy), so a function DLQ (async invocations only) would never receive anything.",
      log: "Invoked only synchronously by MSK event source mappings; records that still fail go to the dead-letters topic (the mapping's on-failure destination), so a function DLQ (async invocations only) would never receive anything.",
      "custom-resource":
        "Invoked only synchronously by the CDK provider framework during deployments; a failure fails the CloudFormation operation, which is the right outcome.",
      http: "Invoked only synchronously by API Gateway (HTTP API, Lambda proxy integration); a failure is the HTTP answer (a 5xx the client sees and retries), so a function DLQ (async invocations only) would never receive anything.",
      operator:
        "Invoked only synchronously by operators' tools (Lambda Invoke, RequestResponse); the caller gets the error in the response, and an async DLQ would never receive anything.",
    };
    Validations.of(scope).acknowledge({ id: "Serverless-LambdaDLQ", reason: why[kind] });
    if (kind === "fast-lane") {
      Validations.of(scope).acknowledge({
        id: "Serverless-LambdaEventSourceMappingDestination",
        reason:
          "SQS event source mappings take no on-failure destination; failures are handled by each queue's redrive policy into its own dead-letter queue (maxReceiveCount from the declaration).",
      });
    }
  }
}
