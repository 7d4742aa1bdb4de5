import { ArnFormat, Aws, Duration, Stack } from "aws-cdk-lib";
import {
  type Alarm,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  TextWidget,
} from "aws-cdk-lib/aws-cloudwatch";
import { PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Topic } from "aws-cdk-lib/aws-sns";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { AlarmFactory } from "./alarms.ts";
import {
  DuplexMetricFactory,
  FastLaneMetricFactory,
  HttpApiMetricFactory,
  LambdaMetricFactory,
  MappingMetricFactory,
  MskMetricFactory,
  QueueMetricFactory,
  SagaMetricFactory,
  sumOf,
} from "./metrics.ts";

/** A function to watch. */
export interface WatchedFunction {
  readonly name: string;
  readonly function: IFunction;
  /** True when MSK event source mappings invoke it (it has an `OffsetLag`). */
  readonly readsTheLog: boolean;
  /**
   * True when it may append to the log (its publisher emits `LogPublishRefused`).
   *
   * @default false
   */
  readonly publishesToTheLog?: boolean;
}

/** A consumer group to watch: one MSK event source mapping (function × topic). */
export interface WatchedConsumerGroup {
  readonly consumerGroup: string;
  readonly topic: string;
  /** The declared name of the function the mapping invokes. */
  readonly functionName: string;
  /** The mapping's UUID (`EventSourceMappingUUID` of its metrics). */
  readonly mappingId: string;
}

/** A fast-lane command to watch. */
export interface WatchedCommand {
  /** The command; also the rule's name. */
  readonly command: string;
  readonly queue: IQueue;
}

/** A dead-letter queue to watch. */
export interface WatchedDeadLetterQueue {
  readonly name: string;
  readonly queue: IQueue;
}

/** An HTTP API and what its alarms fire on. */
export interface WatchedHttpApi {
  readonly name: string;
  readonly apiId: string;
  /** 5xx answers in 5 minutes. */
  readonly serverErrorThreshold: number;
  /** p99 latency in milliseconds, over 5 minutes. */
  readonly latencyP99Ms: number;
  /** Percent of requests answered 4xx, over 5 minutes. */
  readonly clientErrorRatePercent: number;
}

/** Properties of {@link DuplexObservability}. */
export interface DuplexObservabilityProps {
  /** Prefix of the dashboard and alarm names, e.g. `duplex-dev`. */
  readonly namePrefix: string;
  readonly clusterName: string;
  readonly brokerCount: number;
  readonly busName: string;
  readonly topics: readonly string[];
  readonly consumerGroups: readonly WatchedConsumerGroup[];
  readonly functions: readonly WatchedFunction[];
  readonly commands: readonly WatchedCommand[];
  readonly deadLetterQueues: readonly WatchedDeadLetterQueue[];
  /** Records of lag that raise a consumer group's alarm. */
  readonly offsetLagThreshold: number;
  /**
   * Minutes the lag must stay above the threshold.
   *
   * @default 5
   */
  readonly lagEvaluationMinutes?: number;
  /**
   * Errors in a 5-minute period that raise a function's alarm.
   *
   * @default 1
   */
  readonly errorThreshold?: number;
  /**
   * Throttles in a 5-minute period that raise a function's alarm.
   *
   * @default 1
   */
  readonly throttleThreshold?: number;
  /**
   * Service name of the saga's deadline sweeper: its degraded decisions raise an alarm and its
   * stream-time metrics get a dashboard row.
   *
   * @default - no saga deadline alarm or row
   */
  readonly sagaSweeper?: string;
  /**
   * Key of the alarm topic.
   *
   * @default - SNS's own encryption
   */
  readonly alarmTopicKey?: IKey;
  /**
   * The HTTP API (command and query API) with its alarm thresholds.
   *
   * @default - no HTTP API alarms or widgets
   */
  readonly httpApi?: WatchedHttpApi;
  /**
   * Minutes without a poll before a log mapping's not-consuming alarm fires.
   *
   * @default 10
   */
  readonly notConsumingMinutes?: number;
  /**
   * Percentage of a broker's data disk in use that raises the disk alarm.
   *
   * @default 85
   */
  readonly brokerDiskUsedPercent?: number;
}

/**
 * The stage's CloudWatch dashboard and alarms. The dashboard shows records per second per topic,
 * lag per consumer group and per function, fast-lane delivery latency and queue age, the depth of
 * every dead-letter queue, the log lane's dead letters and polls, broker health, Lambda errors,
 * throttles and duration, EventBridge failed and dead-lettered invocations, and the saga's
 * deadlines in stream time. Alarms (to an SNS topic operators subscribe to) fire on any message in
 * a dead-letter queue, on records of the log sent to `dead-letters` or dropped, on lag over the
 * threshold or no lag metric at all, on a log mapping that does not poll, on function errors and
 * throttles, on broker health (no active controller, offline or under-min-ISR partitions, a full
 * disk), and on saga deadlines decided on the wall clock.
 *
 * @example
 * ```ts
 * new DuplexObservability(this, "Observability", {
 *   namePrefix: "duplex-dev", clusterName: "duplex-dev", brokerCount: 3, busName: "duplex-dev",
 *   topics: ["order-events"],
 *   consumerGroups: [{ consumerGroup: "duplex-order-saga.order-events", topic: "order-events",
 *     functionName: "order-saga", mappingId: mapping.eventSourceMappingId }],
 *   functions: [{ name: "order-saga", function: sagaFn, readsTheLog: true }],
 *   commands: [{ command: "PlaceOrderRequested", queue: placeOrderQueue }],
 *   deadLetterQueues: [{ name: "PlaceOrderRequested-dlq", queue: placeOrderDlq }],
 *   offsetLagThreshold: 1000,
 * });
 * ```
 */
export class DuplexObservability extends Construct {
  readonly dashboard: Dashboard;
  readonly alarmTopic: Topic;
  readonly alarms: AlarmFactory;
  /** The alarms that say the log itself is in danger (game days stop on them). */
  readonly logInDanger: readonly Alarm[];

  constructor(scope: Construct, id: string, props: DuplexObservabilityProps) {
    super(scope, id);
    const msk = new MskMetricFactory({
      clusterName: props.clusterName,
      brokerCount: props.brokerCount,
    });
    const lambda = new LambdaMetricFactory();
    const lambda5m = new LambdaMetricFactory(Duration.minutes(5));
    const queues = new QueueMetricFactory();
    const lane = new FastLaneMetricFactory(props.busName);
    const mappings = new MappingMetricFactory();
    const mappings5m = new MappingMetricFactory(Duration.minutes(5));
    const own5m = new DuplexMetricFactory(undefined, Duration.minutes(5));

    this.alarmTopic = new Topic(this, "AlarmTopic", {
      topicName: `${props.namePrefix}-alarms`,
      displayName: `Duplex ${props.namePrefix} alarms`,
      masterKey: props.alarmTopicKey,
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one, so CloudWatch must be let in explicitly: only
    // for this stage's alarms, in this account.
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: "AllowDuplexAlarms",
        principals: [new ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID },
          ArnLike: {
            "aws:SourceArn": Stack.of(this).formatArn({
              service: "cloudwatch",
              resource: "alarm",
              resourceName: `${props.namePrefix}-*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    this.alarms = new AlarmFactory(new Construct(this, "Alarms"), {
      namePrefix: props.namePrefix,
      topic: this.alarmTopic,
    });

    for (const dlq of props.deadLetterQueues) {
      this.alarms.deadLetterQueueNotEmpty(dlq.name, queues.depth(dlq.queue, dlq.name));
    }
    for (const group of props.consumerGroups) {
      this.alarms.lagAbove(
        group.consumerGroup,
        msk.consumerGroupLag(group.consumerGroup, group.topic),
        props.offsetLagThreshold,
        props.lagEvaluationMinutes ?? 5,
      );
      this.alarms.mappingNotConsuming(
        group.consumerGroup,
        mappings.polls(group.mappingId, group.consumerGroup),
        props.notConsumingMinutes ?? 10,
      );
    }
    // Dead letters of the log lane have two writers: the log adapter (undecodable records, its
    // own DeadLettered metric) and Lambda (records failing after every retry, the mapping's
    // OnFailureDestinationDeliveredEventCount). Records that reach neither are counted as dropped.
    for (const fn of props.functions.filter((f) => f.readsTheLog)) {
      const own = props.consumerGroups.filter((g) => g.functionName === fn.name);
      this.alarms.logDeadLetters(
        fn.name,
        sumOf(
          `dead letters of ${fn.name}`,
          [
            own5m.deadLettered(fn.name),
            ...own.map((g) => mappings5m.sentToOnFailureDestination(g.mappingId)),
          ],
          Duration.minutes(5),
        ),
      );
      this.alarms.logRecordsLost(
        fn.name,
        sumOf(
          `records lost by ${fn.name}`,
          [
            ...own.map((g) => mappings5m.dropped(g.mappingId)),
            ...own.map((g) => mappings5m.onFailureDeliveryErrors(g.mappingId)),
          ],
          Duration.minutes(5),
        ),
      );
    }
    for (const fn of props.functions.filter((f) => f.publishesToTheLog === true)) {
      this.alarms.logPublishRefused(fn.name, own5m.logPublishRefused(fn.name));
    }
    this.logInDanger = [
      this.alarms.noActiveController(msk.activeControllerCount()),
      this.alarms.offlinePartitions(msk.offlinePartitions()),
      this.alarms.underMinIsr(msk.underMinIsrPartitions()),
    ];
    this.alarms.brokerDiskUsed(msk.dataDiskUsedPercent(), props.brokerDiskUsedPercent ?? 85);
    for (const fn of props.functions) {
      this.alarms.errors(fn.name, lambda5m.errors(fn.function, fn.name), props.errorThreshold ?? 1);
      this.alarms.throttles(
        fn.name,
        lambda5m.throttles(fn.function, fn.name),
        props.throttleThreshold ?? 1,
      );
    }

    const api = props.httpApi && new HttpApiMetricFactory(props.httpApi.apiId, Duration.minutes(5));
    if (props.httpApi && api) {
      const { name } = props.httpApi;
      this.alarms.apiServerErrors(name, api.serverErrors(), props.httpApi.serverErrorThreshold);
      this.alarms.apiLatency(name, api.latencyP99(), props.httpApi.latencyP99Ms, 1);
      this.alarms.apiClientErrorRate(
        name,
        api.clientErrorRate(),
        props.httpApi.clientErrorRatePercent,
        1,
      );
    }
    const saga =
      props.sagaSweeper === undefined
        ? undefined
        : new SagaMetricFactory({ service: props.sagaSweeper });
    if (saga) this.alarms.sagaDeadlinesForced(saga.deadlinesForced(Duration.minutes(5)));

    const graph = (title: string, left: IMetric[], width = 12): GraphWidget =>
      new GraphWidget({ title, left, width, height: 6, legendPosition: undefined });
    const logReaders = props.functions.filter((f) => f.readsTheLog);
    const rows: IWidget[][] = [
      [
        new TextWidget({
          markdown: `# Duplex ${props.namePrefix}\nLog: MSK \`${props.clusterName}\` · fast lane: bus \`${props.busName}\` · alarms: SNS \`${props.namePrefix}-alarms\``,
          width: 24,
          height: 2,
        }),
      ],
      [
        graph(
          "Log: bytes/s written per topic",
          props.topics.map((t) => msk.bytesInPerSecond(t)),
        ),
        graph(
          "Log: lag per consumer group (records)",
          props.consumerGroups.map((g) => msk.consumerGroupLag(g.consumerGroup, g.topic)),
        ),
      ],
      [
        graph(
          "Log: OffsetLag per function (records, max over its mappings)",
          logReaders.map((f) => lambda.offsetLag(f.function, f.name)),
        ),
        graph(
          "Dead-letter queues: messages waiting",
          props.deadLetterQueues.map((d) => queues.depth(d.queue, d.name)),
        ),
      ],
      [
        graph(
          "Log lane: records sent to dead-letters (adapter + Lambda on-failure) and dropped",
          props.functions
            .filter((f) => f.readsTheLog)
            .flatMap((f) => [
              own5m.deadLettered(f.name),
              ...props.consumerGroups
                .filter((g) => g.functionName === f.name)
                .flatMap((g) => [
                  mappings5m.sentToOnFailureDestination(
                    g.mappingId,
                    `${g.consumerGroup} → dead-letters`,
                  ),
                  mappings5m.dropped(g.mappingId, `${g.consumerGroup} dropped`),
                ]),
            ]),
        ),
        graph(
          "Log lane: polls per mapping (none = not consuming)",
          props.consumerGroups.map((g) => mappings.polls(g.mappingId, g.consumerGroup)),
        ),
      ],
      [
        graph("Brokers: active controllers, offline and under-min-ISR partitions", [
          msk.activeControllerCount(),
          msk.offlinePartitions(),
          msk.underMinIsrPartitions(),
        ]),
        graph("Brokers: fullest data disk (%)", [msk.dataDiskUsedPercent()]),
      ],
      [
        graph(
          "Fast lane: ingestion → delivery latency p99 (ms)",
          props.commands.map((c) => lane.deliveryLatency(c.command)),
        ),
        graph(
          "Fast lane: oldest command waiting in its queue (s)",
          props.commands.map((c) => queues.oldestMessageAge(c.queue, c.command)),
        ),
      ],
      [
        graph(
          "EventBridge: FailedInvocations",
          props.commands.map((c) => lane.failedInvocations(c.command)),
        ),
        graph(
          "EventBridge: InvocationsSentToDlq",
          props.commands.map((c) => lane.invocationsSentToDlq(c.command)),
        ),
      ],
      [
        graph(
          "Lambda: errors",
          props.functions.map((f) => lambda.errors(f.function, f.name)),
          8,
        ),
        graph(
          "Lambda: throttles",
          props.functions.map((f) => lambda.throttles(f.function, f.name)),
          8,
        ),
        graph(
          "Lambda: duration p99 (ms)",
          props.functions.map((f) => lambda.duration(f.function, f.name)),
          8,
        ),
      ],
    ];
    if (api) {
      rows.push([
        graph("HTTP API: requests, 4xx, 5xx (per 5 min)", [
          api.requests(),
          api.clientErrors(),
          api.serverErrors(),
        ]),
        graph("HTTP API: latency p99 (ms)", [api.latencyP99()]),
      ]);
    }
    if (saga) {
      rows.push([
        graph("Saga: watermark lag (s) and stalled inputs", [
          saga.watermarkLag(),
          saga.inputsStalled(),
        ]),
        graph("Saga deadlines: fired, held by our lag, forced (degraded)", [
          saga.deadlinesFired(),
          saga.deadlinesHeld(),
          saga.deadlinesForced(),
        ]),
      ]);
    }
    this.dashboard = new Dashboard(this, "Dashboard", {
      dashboardName: props.namePrefix,
      widgets: rows,
    });
  }
}
