import { fileURLToPath } from "node:url";
import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import { SecurityGroup } from "aws-cdk-lib/aws-ec2";
import type { RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import type { EventDefinition } from "../events/define.ts";
import { allEventDefinitions } from "../events/registry.ts";
import type { ResolvedTopic } from "../events/topics.ts";
import { topicsFor } from "../events/topics.ts";
import type { FunctionDeclaration } from "../functions/kit/declarations.ts";
import { publishesToTheLog } from "../functions/kit/declarations.ts";
import { functionDeclarations } from "../functions/registry.ts";
import { declaration as sagaSweeper } from "../functions/saga-sweeper/function.ts";
import { DuplexTables } from "./data.ts";
import { EventLog } from "./event-log.ts";
import { FastLane } from "./fast-lane.ts";
import { DuplexFunctions, VISIBILITY_TIMEOUT_FACTOR } from "./functions.ts";
import { GameDays } from "./game-days.ts";
import { DuplexHttpApi } from "./http-api.ts";
import { DuplexKeys } from "./keys.ts";
import { DuplexNetwork } from "./network.ts";
import { DuplexObservability } from "./observability/dashboard.ts";
import { OUTPUT_KEY } from "./output-keys.ts";
import { addStackOutputs } from "./outputs.ts";
import {
  fastLaneRoutes,
  logMappings,
  scheduleRoutes,
  topicProvisionerDeclaration,
} from "./routes.ts";
import type { StageName, StageSettings } from "./stages.ts";
import { TopicProvisioning } from "./topics.ts";

/** The repository root, where function entries and the lock file are. */
export const REPOSITORY_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Properties of {@link DuplexStack}. */
export interface DuplexStackProps extends StackProps {
  readonly stage: StageName;
  readonly settings: StageSettings;
  /**
   * The event catalog.
   *
   * @default allEventDefinitions()
   */
  readonly events?: readonly EventDefinition[];
  /**
   * The function declarations.
   *
   * @default functionDeclarations
   */
  readonly declarations?: readonly FunctionDeclaration[];
  /**
   * The topics of the log.
   *
   * @default topicsFor("aws")
   */
  readonly topics?: readonly ResolvedTopic[];
  /**
   * Where the function entries and `package-lock.json` are.
   *
   * @default REPOSITORY_ROOT
   */
  readonly repositoryRoot?: string;
}

/**
 * Everything one stage of Duplex runs on AWS: network, keys, the MSK log with its topics, the
 * EventBridge fast lane, the tables, the functions with their triggers, and the dashboard and
 * alarms. Routing comes from the catalog and the function declarations only.
 *
 * @example
 * ```ts
 * const app = new App();
 * new DuplexStack(app, "Duplex-dev", { stage: "dev", settings: loadStageSettings(app.node, "dev") });
 * ```
 */
export class DuplexStack extends Stack {
  readonly stage: StageName;
  readonly namePrefix: string;
  readonly keys: DuplexKeys;
  readonly network: DuplexNetwork;
  readonly eventLog: EventLog;
  readonly topics: TopicProvisioning;
  readonly tables: DuplexTables;
  readonly fastLane: FastLane;
  readonly functions: DuplexFunctions;
  readonly observability: DuplexObservability;
  readonly httpApi: DuplexHttpApi;
  /** FIS experiment templates, when the stage opts in (`gameDays.enabled`). */
  readonly gameDays: GameDays | undefined;
  private readonly pinnedZoneIds: readonly string[] | null;

  constructor(scope: Construct, id: string, props: DuplexStackProps) {
    super(scope, id, props);
    const { settings } = props;
    this.pinnedZoneIds = settings.network.zones?.azIds ?? null;
    this.stage = props.stage;
    this.namePrefix = `duplex-${props.stage}`;
    const events = props.events ?? allEventDefinitions();
    const declarations = props.declarations ?? functionDeclarations;
    const topics = props.topics ?? topicsFor("aws");
    const removalPolicy =
      settings.data.removalPolicy === "retain" ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    const routes = {
      fastLane: fastLaneRoutes(events, declarations),
      log: logMappings(declarations, topics),
      schedules: scheduleRoutes(declarations),
      provisioner: topicProvisionerDeclaration(declarations),
    };

    this.keys = new DuplexKeys(this, "Keys", { aliasPrefix: this.namePrefix, removalPolicy });

    this.network = new DuplexNetwork(this, "Network", {
      cidr: settings.network.cidr,
      ...(settings.network.zones ? { zones: settings.network.zones } : {}),
      interfaceEndpoints: settings.network.interfaceEndpoints,
      flowLogRetention: settings.network.flowLogRetentionDays as RetentionDays,
      logsKey: this.keys.logs,
      removalPolicy,
    });

    this.eventLog = new EventLog(this, "EventLog", {
      vpc: this.network.vpc,
      subnets: this.network.subnets,
      clusterName: this.namePrefix,
      kafkaVersion: settings.eventLog.kafkaVersion,
      brokerInstanceType: settings.eventLog.brokerInstanceType,
      brokersPerAz: settings.eventLog.brokersPerAz,
      volumeSizeGiB: settings.eventLog.volumeSizeGiB,
      enhancedMonitoring: settings.eventLog.enhancedMonitoring,
      encryptionKey: this.keys.eventLog,
      brokerLogRetention: settings.eventLog.brokerLogRetentionDays as RetentionDays,
      logsKey: this.keys.logs,
      removalPolicy,
      storageAutoScaling: settings.eventLog.storageAutoScaling,
    });

    this.tables = new DuplexTables(this, "Tables", {
      encryptionKey: this.keys.data,
      removalPolicy,
      deletionProtection: settings.data.deletionProtection,
    });

    this.fastLane = new FastLane(this, "FastLane", {
      busName: this.namePrefix,
      queueNamePrefix: this.namePrefix,
      encryptionKey: this.keys.messaging,
      // Archived commands are data at rest, kept for replays: the data key.
      archiveKey: this.keys.data,
      commands: routes.fastLane.map((route) => ({
        command: route.command,
        visibilityTimeout: Duration.seconds(
          route.handler.timeoutSeconds * VISIBILITY_TIMEOUT_FACTOR,
        ),
        maxReceiveCount: route.trigger.maxReceiveCount,
      })),
      archiveRetention: Duration.days(settings.fastLane.archiveRetentionDays),
      queueRetention: Duration.days(settings.fastLane.queueRetentionDays),
      deadLetterRetention: Duration.days(settings.fastLane.deadLetterRetentionDays),
      targetRetryAttempts: settings.fastLane.targetRetryAttempts,
      targetMaxEventAge: Duration.seconds(settings.fastLane.targetMaxEventAgeSeconds),
    });

    const functionsSecurityGroup = new SecurityGroup(this, "FunctionsSecurityGroup", {
      vpc: this.network.vpc,
      description: `${this.namePrefix} functions: no inbound; outbound stays in the VPC and its endpoints (no NAT, no internet gateway)`,
      allowAllOutbound: true,
    });
    this.eventLog.allowClientsFrom(functionsSecurityGroup);

    this.functions = new DuplexFunctions(this, "Functions", {
      stage: props.stage,
      namePrefix: this.namePrefix,
      declarations,
      repositoryRoot: props.repositoryRoot ?? REPOSITORY_ROOT,
      vpc: this.network.vpc,
      subnets: this.network.subnets,
      securityGroup: functionsSecurityGroup,
      eventLog: this.eventLog,
      fastLane: this.fastLane,
      tables: this.tables,
      dataKey: this.keys.data,
      messagingKey: this.keys.messaging,
      logsKey: this.keys.logs,
      fastLaneRoutes: routes.fastLane,
      logMappings: routes.log,
      scheduleRoutes: routes.schedules,
      logLevel: settings.functions.logLevel,
      logRetention: settings.functions.logRetentionDays as RetentionDays,
      tracing: settings.functions.tracing,
      pollers: {
        minimum: settings.functions.minimumPollers,
        maximum: settings.functions.maximumPollers,
      },
      reserveConcurrency: settings.functions.reserveConcurrency,
      deadLetterRetention: Duration.days(settings.fastLane.deadLetterRetentionDays),
    });

    this.topics = new TopicProvisioning(this, "Topics", {
      provisioner: this.functions.get(routes.provisioner.name).function,
      topics,
      clusterArn: this.eventLog.clusterArn,
      bootstrapBrokers: this.eventLog.bootstrapBrokers,
      allowDeletingTopicsWithData: false,
      logRetention: settings.functions.logRetentionDays as RetentionDays,
      logsKey: this.keys.logs,
    });
    // The provisioner reaches the brokers only once the security group rules exist; the mappings
    // read topics (and fail into one) that exist only once the provisioner ran.
    this.topics.resource.node.addDependency(this.eventLog.securityGroup, functionsSecurityGroup);
    this.functions.mappingsDependOn(this.topics.resource);

    this.fastLane.admitProducers([
      ...this.functions.busProducerRoleArns(),
      ...settings.fastLane.additionalProducerRoleArns,
    ]);

    this.httpApi = new DuplexHttpApi(this, "HttpApi", {
      namePrefix: this.namePrefix,
      functions: this.functions.all().filter((f) => f.declaration.trigger.kind === "http"),
      auth:
        settings.httpApi.auth === "jwt" && settings.httpApi.jwt !== null
          ? { kind: "jwt", ...settings.httpApi.jwt }
          : { kind: "iam" },
      throttlingRateLimit: settings.httpApi.throttlingRateLimit,
      throttlingBurstLimit: settings.httpApi.throttlingBurstLimit,
      accessLogRetention: settings.httpApi.accessLogRetentionDays as RetentionDays,
      logsKey: this.keys.logs,
    });

    this.observability = new DuplexObservability(this, "Observability", {
      namePrefix: this.namePrefix,
      clusterName: this.eventLog.clusterName,
      brokerCount: this.eventLog.brokerCount,
      busName: this.namePrefix,
      topics: topics.map((t) => t.name),
      consumerGroups: routes.log.map((m) => ({
        consumerGroup: m.consumerGroup,
        topic: m.topic,
        functionName: m.handler.name,
        mappingId: this.functions.kafkaMapping(m.handler.name, m.topic).eventSourceMappingId,
      })),
      functions: this.functions.all().map((f) => ({
        name: f.declaration.name,
        function: f.function,
        readsTheLog: f.declaration.trigger.kind === "log",
        publishesToTheLog: publishesToTheLog(f.declaration),
      })),
      commands: this.fastLane.allChannels().map((c) => ({ command: c.command, queue: c.queue })),
      sagaSweeper: sagaSweeper.name,
      deadLetterQueues: [
        { name: "bus-dlq", queue: this.fastLane.busDeadLetterQueue },
        ...this.fastLane.allChannels().flatMap((c) => [
          { name: `${c.command}-dlq`, queue: c.deadLetterQueue },
          { name: `${c.command}-delivery-dlq`, queue: c.deliveryDeadLetterQueue },
        ]),
        ...this.functions.all().flatMap((f) =>
          f.scheduleDeadLetterQueue
            ? [
                {
                  name: `${f.declaration.name}-schedule-dlq`,
                  queue: f.scheduleDeadLetterQueue.queue,
                },
              ]
            : [],
        ),
      ],
      offsetLagThreshold: settings.observability.offsetLagThreshold,
      lagEvaluationMinutes: settings.observability.lagEvaluationMinutes,
      errorThreshold: settings.observability.errorThreshold,
      throttleThreshold: settings.observability.throttleThreshold,
      notConsumingMinutes: settings.observability.notConsumingMinutes,
      brokerDiskUsedPercent: settings.observability.brokerDiskUsedPercent,
      alarmTopicKey: this.keys.messaging,
      httpApi: {
        name: `${this.namePrefix}-api`,
        apiId: this.httpApi.api.apiId,
        serverErrorThreshold: settings.httpApi.serverErrorThreshold,
        latencyP99Ms: settings.httpApi.latencyP99Ms,
        clientErrorRatePercent: settings.httpApi.clientErrorRatePercent,
      },
    });

    const game = settings.gameDays;
    this.gameDays = game.enabled
      ? new GameDays(this, "GameDays", {
          namePrefix: this.namePrefix,
          functions: this.functions
            .all()
            .filter((f) => f.declaration.trigger.kind === "fast-lane")
            .map((f) => ({ name: f.declaration.name, function: f.function })),
          clusterArn: this.eventLog.clusterArn,
          stopAlarms: this.observability.logInDanger,
          invocationPercentage: game.invocationPercentage,
          addedLatency: Duration.millis(game.addedLatencyMs),
          duration: Duration.minutes(game.durationMinutes),
        })
      : undefined;
    if (this.gameDays) {
      for (const [name, template] of Object.entries({
        InvocationErrors: this.gameDays.invocationErrors,
        AddedLatency: this.gameDays.addedLatency,
        BrokerReboot: this.gameDays.brokerReboot,
      })) {
        new CfnOutput(this, OUTPUT_KEY.gameDayTemplate(name), {
          value: template.attrId,
          description: `FIS experiment template: aws fis start-experiment --experiment-template-id <this>`,
        });
      }
    }

    addStackOutputs(this, {
      eventLog: this.eventLog,
      fastLane: this.fastLane,
      tables: this.tables,
      functions: this.functions,
      alarmTopicArn: this.observability.alarmTopic.topicArn,
      dashboardName: this.observability.dashboard.dashboardName,
      apiUrl: this.httpApi.url,
      alarms: {
        namePrefix: `${this.namePrefix}-`,
        count: this.observability.alarms.alarms().length,
      },
    });
  }

  /**
   * Three AZs: the pinned zone ids from the stage settings (they stand in for names until the
   * network turns them into `AvailabilityZoneId`), or the region's first three. Overridden because
   * an environment-agnostic stack would otherwise report two, and the VPC checks its zones against
   * this list.
   */
  override get availabilityZones(): string[] {
    const pinned = this.pinnedZoneIds;
    if (pinned) return [...pinned];
    return [0, 1, 2].map((i) => Fn.select(i, Fn.getAzs()));
  }
}
