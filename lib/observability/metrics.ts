import { Duration } from "aws-cdk-lib";
import { MathExpression, Metric } from "aws-cdk-lib/aws-cloudwatch";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { IQueue } from "aws-cdk-lib/aws-sqs";

/**
 * Metric factories: one class per source, each returning CloudWatch metrics with the dimensions
 * the service publishes. No constructs are created here; dashboards and alarms compose these.
 */

/** Default period of every metric. */
export const DEFAULT_PERIOD = Duration.minutes(1);

/**
 * Makes a metric/expression id from a name.
 *
 * @example
 * ```ts
 * metricId("order-events"); // "order_events"
 * ```
 */
export function metricId(name: string): string {
  const id = name.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[a-z]/.test(id) ? id : `m_${id}`.toLowerCase();
}

/** Properties of {@link MskMetricFactory}. */
export interface MskMetricFactoryProps {
  /** The cluster name (`Cluster Name` dimension). */
  readonly clusterName: string;
  /** Broker ids are 1…brokerCount. */
  readonly brokerCount: number;
  /**
   * @default DEFAULT_PERIOD
   */
  readonly period?: Duration;
}

/**
 * Metrics MSK publishes for the cluster, its topics and its consumer groups (`AWS/Kafka`).
 *
 * @example
 * ```ts
 * const msk = new MskMetricFactory({ clusterName: "duplex-dev", brokerCount: 3 });
 * msk.bytesInPerSecond("order-events"); // sum over the three brokers
 * msk.consumerGroupLag("duplex-order-saga.order-events", "order-events");
 * ```
 */
export class MskMetricFactory {
  private readonly props: MskMetricFactoryProps;

  constructor(props: MskMetricFactoryProps) {
    this.props = props;
  }

  /**
   * Bytes per second written to a topic, summed over every broker. `BytesInPerSec` per topic is a
   * `DEFAULT`-level metric; `MessagesInPerSec` per topic needs `PER_TOPIC_PER_BROKER` (billed).
   */
  bytesInPerSecond(topic: string): MathExpression {
    return this.sumOverBrokers(`${metricId(topic)}_in`, topic, "BytesInPerSec", "Average", {
      Topic: topic,
    });
  }

  /** Active controllers in the cluster (`DEFAULT`, dimension `Cluster Name`); healthy is 1. */
  activeControllerCount(): Metric {
    return this.clusterMetric("ActiveControllerCount", "Maximum");
  }

  /** Partitions without a leader in the cluster (`DEFAULT`, dimension `Cluster Name`). */
  offlinePartitions(): Metric {
    return this.clusterMetric("OfflinePartitionsCount", "Maximum");
  }

  /**
   * Partitions with fewer in-sync replicas than `min.insync.replicas`, summed over the brokers
   * (`DEFAULT`, dimensions `Cluster Name`, `Broker ID`): acks=all writes to them fail.
   */
  underMinIsrPartitions(): MathExpression {
    return this.sumOverBrokers("under_min_isr", "under min ISR", "UnderMinIsrPartitionCount");
  }

  /** Disk use of the fullest broker's data volume, percent (`KafkaDataLogsDiskUsed`, `DEFAULT`). */
  dataDiskUsedPercent(): MathExpression {
    const usingMetrics = this.perBroker("disk", "KafkaDataLogsDiskUsed", "Maximum");
    return new MathExpression({
      expression: `MAX([${Object.keys(usingMetrics).join(",")}])`,
      usingMetrics,
      label: "fullest broker data disk %",
      period: this.props.period ?? DEFAULT_PERIOD,
    });
  }

  private clusterMetric(metricName: string, statistic: string): Metric {
    return new Metric({
      namespace: "AWS/Kafka",
      metricName,
      dimensionsMap: { "Cluster Name": this.props.clusterName },
      statistic,
      period: this.props.period ?? DEFAULT_PERIOD,
    });
  }

  private perBroker(
    prefix: string,
    metricName: string,
    statistic: string,
    extra: Record<string, string> = {},
  ): Record<string, Metric> {
    const usingMetrics: Record<string, Metric> = {};
    for (let broker = 1; broker <= this.props.brokerCount; broker++) {
      usingMetrics[`${metricId(prefix)}_b${broker}`] = new Metric({
        namespace: "AWS/Kafka",
        metricName,
        dimensionsMap: {
          "Cluster Name": this.props.clusterName,
          "Broker ID": String(broker),
          ...extra,
        },
        statistic,
        period: this.props.period ?? DEFAULT_PERIOD,
      });
    }
    return usingMetrics;
  }

  private sumOverBrokers(
    prefix: string,
    label: string,
    metricName: string,
    statistic = "Maximum",
    extra: Record<string, string> = {},
  ): MathExpression {
    const usingMetrics = this.perBroker(prefix, metricName, statistic, extra);
    return new MathExpression({
      expression: `SUM([${Object.keys(usingMetrics).join(",")}])`,
      usingMetrics,
      label,
      period: this.props.period ?? DEFAULT_PERIOD,
    });
  }

  /** Total records a consumer group has yet to read from a topic (all partitions). */
  consumerGroupLag(consumerGroup: string, topic: string): Metric {
    return new Metric({
      namespace: "AWS/Kafka",
      metricName: "SumOffsetLag",
      dimensionsMap: {
        "Cluster Name": this.props.clusterName,
        "Consumer Group": consumerGroup,
        Topic: topic,
      },
      statistic: "Maximum",
      label: consumerGroup,
      period: this.props.period ?? DEFAULT_PERIOD,
    });
  }
}

/**
 * Metrics Lambda publishes per function (`AWS/Lambda`).
 *
 * @example
 * ```ts
 * const lambda = new LambdaMetricFactory();
 * lambda.errors(fn); lambda.offsetLag(fn);
 * ```
 */
export class LambdaMetricFactory {
  private readonly period: Duration;

  /** @param period default {@link DEFAULT_PERIOD} */
  constructor(period: Duration = DEFAULT_PERIOD) {
    this.period = period;
  }

  errors(fn: IFunction, label?: string): Metric {
    return fn.metricErrors({ statistic: "Sum", period: this.period, label });
  }

  throttles(fn: IFunction, label?: string): Metric {
    return fn.metricThrottles({ statistic: "Sum", period: this.period, label });
  }

  /** p99 duration. */
  duration(fn: IFunction, label?: string): Metric {
    return fn.metricDuration({ statistic: "p99", period: this.period, label });
  }

  /** Largest lag of any MSK mapping of the function, in records (`OffsetLag`). */
  offsetLag(fn: IFunction, label?: string): Metric {
    return fn.metric("OffsetLag", { statistic: "Maximum", period: this.period, label });
  }
}

/**
 * Metrics SQS publishes per queue (`AWS/SQS`).
 *
 * @example
 * ```ts
 * new QueueMetricFactory().depth(dlq, "PlaceOrderRequested DLQ");
 * ```
 */
export class QueueMetricFactory {
  private readonly period: Duration;

  /** @param period default {@link DEFAULT_PERIOD} */
  constructor(period: Duration = DEFAULT_PERIOD) {
    this.period = period;
  }

  /** Messages waiting (visible) in the queue. */
  depth(queue: IQueue, label?: string): Metric {
    return queue.metricApproximateNumberOfMessagesVisible({
      statistic: "Maximum",
      period: this.period,
      label,
    });
  }

  /** Age of the oldest message, seconds. */
  oldestMessageAge(queue: IQueue, label?: string): Metric {
    return queue.metricApproximateAgeOfOldestMessage({
      statistic: "Maximum",
      period: this.period,
      label,
    });
  }
}

/**
 * Metrics EventBridge publishes for rules on a custom bus (`AWS/Events`, dimensions
 * `EventBusName` and `RuleName`).
 *
 * @example
 * ```ts
 * const lane = new FastLaneMetricFactory("duplex-dev");
 * lane.deliveryLatency("PlaceOrderRequested");
 * ```
 */
export class FastLaneMetricFactory {
  private readonly busName: string;
  private readonly period: Duration;

  /** @param period default {@link DEFAULT_PERIOD} */
  constructor(busName: string, period: Duration = DEFAULT_PERIOD) {
    this.busName = busName;
    this.period = period;
  }

  /** p99 time from ingestion to the start of the target invocation, milliseconds. */
  deliveryLatency(ruleName: string): Metric {
    return this.metric("IngestionToInvocationStartLatency", ruleName, "p99");
  }

  /** Invocations that failed permanently. */
  failedInvocations(ruleName: string): Metric {
    return this.metric("FailedInvocations", ruleName, "Sum");
  }

  /** Invocations moved to the target's dead-letter queue. */
  invocationsSentToDlq(ruleName: string): Metric {
    return this.metric("InvocationsSentToDlq", ruleName, "Sum");
  }

  private metric(metricName: string, ruleName: string, statistic: string): Metric {
    return new Metric({
      namespace: "AWS/Events",
      metricName,
      dimensionsMap: { EventBusName: this.busName, RuleName: ruleName },
      statistic,
      period: this.period,
      label: ruleName,
    });
  }
}

/**
 * Metrics API Gateway publishes for an HTTP API (`AWS/ApiGateway`, dimension `ApiId`; the
 * `$default` stage has no `Stage` dimension of its own).
 *
 * @example
 * ```ts
 * const api = new HttpApiMetricFactory(httpApi.apiId);
 * api.serverErrors(); // 5xx answers per period
 * ```
 */
export class HttpApiMetricFactory {
  private readonly apiId: string;
  private readonly period: Duration;

  constructor(apiId: string, period: Duration = DEFAULT_PERIOD) {
    this.apiId = apiId;
    this.period = period;
  }

  private metric(metricName: string, statistic: string, label: string): Metric {
    return new Metric({
      namespace: "AWS/ApiGateway",
      metricName,
      dimensionsMap: { ApiId: this.apiId },
      statistic,
      period: this.period,
      label,
    });
  }

  /** Requests per period. */
  requests(): Metric {
    return this.metric("Count", "Sum", "requests");
  }

  /** 5xx answers per period. */
  serverErrors(): Metric {
    return this.metric("5xx", "Sum", "5xx");
  }

  /** 4xx answers per period. */
  clientErrors(): Metric {
    return this.metric("4xx", "Sum", "4xx");
  }

  /** p99 of the time from request to answer, in milliseconds. */
  latencyP99(): Metric {
    return this.metric("Latency", "p99", "latency p99");
  }

  /** Share of requests answered 4xx, in percent (0 when there were none). */
  clientErrorRate(): MathExpression {
    return new MathExpression({
      expression: "IF(requests > 0, 100 * errors / requests, 0)",
      usingMetrics: { requests: this.requests(), errors: this.clientErrors() },
      label: "4xx %",
      period: this.period,
    });
  }
}

/** Properties of {@link SagaMetricFactory}. */
export interface SagaMetricFactoryProps {
  /** The `service` dimension: the sweeper function's name (Powertools' service name). */
  readonly service: string;
  /**
   * The namespace the functions publish to (`POWERTOOLS_METRICS_NAMESPACE`).
   *
   * @default "Duplex"
   */
  readonly namespace?: string;
  /**
   * @default DEFAULT_PERIOD
   */
  readonly period?: Duration;
}

/**
 * Metrics the saga's deadline sweeper publishes (Powertools EMF, dimension `service`): how its
 * deadlines are judged in stream time and when our own lag made it decide on the wall clock.
 *
 * @example
 * ```ts
 * const saga = new SagaMetricFactory({ service: "saga-sweeper" });
 * saga.deadlinesForced(); // deadlines decided in degraded mode, per period
 * ```
 */
export class SagaMetricFactory {
  private readonly props: SagaMetricFactoryProps;

  constructor(props: SagaMetricFactoryProps) {
    this.props = props;
  }

  /** Deadlines decided on the wall clock (an input stalled for the grace, a command never handled). */
  deadlinesForced(period?: Duration): Metric {
    return this.metric("SagaDeadlinesForced", "Sum", "deadlines forced (degraded)", period);
  }

  /** Deadlines past on the wall clock but held by our own lag, per sweep. */
  deadlinesHeld(): Metric {
    return this.metric("SagaDeadlinesHeld", "Maximum", "deadlines held by our lag");
  }

  /** Deadlines that fired on stream time (a step that really did not answer). */
  deadlinesFired(): Metric {
    return this.metric("SagaDeadlinesFired", "Sum", "deadlines fired");
  }

  /** How far the saga's watermark trails the wall clock, seconds (within a factor of two). */
  watermarkLag(): Metric {
    return this.metric("SagaWatermarkLagSeconds", "Maximum", "saga watermark lag (s)");
  }

  /** Input partitions of the saga without progress for the grace while behind. */
  inputsStalled(): Metric {
    return this.metric("SagaInputsStalled", "Maximum", "saga inputs stalled");
  }

  private metric(metricName: string, statistic: string, label: string, period?: Duration): Metric {
    return new Metric({
      namespace: this.props.namespace ?? "Duplex",
      metricName,
      dimensionsMap: { service: this.props.service },
      statistic,
      label,
      period: period ?? this.props.period ?? DEFAULT_PERIOD,
    });
  }
}

/**
 * Metrics of Lambda's event source mappings (`AWS/Lambda`, dimension `EventSourceMappingUUID`),
 * published when the mapping's `MetricsConfig` turns their group on (Lambda Developer Guide,
 * "Event source mapping metrics"). A disabled mapping publishes none.
 *
 * @example
 * ```ts
 * const esm = new MappingMetricFactory();
 * esm.polls(mapping.eventSourceMappingId, "duplex-order-saga.order-events");
 * ```
 */
export class MappingMetricFactory {
  private readonly period: Duration;

  /** @param period default {@link DEFAULT_PERIOD} */
  constructor(period: Duration = DEFAULT_PERIOD) {
    this.period = period;
  }

  /**
   * How many polls the mapping made (`PolledEventCount` samples): Lambda emits 0 for an empty
   * poll, so no sample at all means the mapping is not polling (`EventCount` group).
   */
  polls(mappingId: string, label?: string): Metric {
    return this.metric("PolledEventCount", mappingId, "SampleCount", label);
  }

  /** Records written to the on-failure destination (`EventCount` group). */
  sentToOnFailureDestination(mappingId: string, label?: string): Metric {
    return this.metric("OnFailureDestinationDeliveredEventCount", mappingId, "Sum", label);
  }

  /** Records dropped after retries or age, including failed deliveries (`EventCount` group). */
  dropped(mappingId: string, label?: string): Metric {
    return this.metric("DroppedEventCount", mappingId, "Sum", label);
  }

  /** Failed writes to the on-failure destination (`ErrorCount` group, Kafka sources). */
  onFailureDeliveryErrors(mappingId: string, label?: string): Metric {
    return this.metric("OnFailureDestinationDeliveryErrorCount", mappingId, "Sum", label);
  }

  private metric(metricName: string, mappingId: string, statistic: string, label?: string) {
    return new Metric({
      namespace: "AWS/Lambda",
      metricName,
      dimensionsMap: { EventSourceMappingUUID: mappingId },
      statistic,
      period: this.period,
      label,
    });
  }
}

/**
 * Metrics Duplex's own functions publish (Powertools Metrics as embedded metric format, namespace
 * `Duplex`, dimension `service` = the function's declared name).
 *
 * @example
 * ```ts
 * new DuplexMetricFactory().deadLettered("order-saga");
 * new DuplexMetricFactory().logPublishRefused("command-api");
 * ```
 */
export class DuplexMetricFactory {
  private readonly namespace: string;
  private readonly period: Duration;

  /**
   * @param namespace default `Duplex`
   * @param period default {@link DEFAULT_PERIOD}
   */
  constructor(namespace = "Duplex", period: Duration = DEFAULT_PERIOD) {
    this.namespace = namespace;
    this.period = period;
  }

  /**
   * Records the function itself sent to a dead-letter destination (the log adapter writes an
   * undecodable record to the `dead-letters` topic; the fast-lane adapter to its queue's DLQ).
   */
  deadLettered(functionName: string): Metric {
    return this.metric("DeadLettered", functionName);
  }

  /**
   * Events whose publish the function's publisher refused: the log did not acknowledge them within
   * the retry budget (`DUPLEX_PUBLISH_RETRY_BUDGET_SECONDS`), so nothing of the call reached the
   * fast lane and the caller got a `PublishRefusedError` (counted per event, not per call).
   */
  logPublishRefused(functionName: string): Metric {
    return this.metric("LogPublishRefused", functionName);
  }

  private metric(metricName: string, functionName: string): Metric {
    return new Metric({
      namespace: this.namespace,
      metricName,
      dimensionsMap: { service: functionName },
      statistic: "Sum",
      period: this.period,
      label: functionName,
    });
  }
}

/**
 * The sum of several metrics per period, counting a missing series as 0 (CloudWatch's `SUM` over
 * a list of series skips absent values).
 *
 * @example
 * ```ts
 * sumOf("dead letters of order-saga", [adapter, ...mappings.map((m) => esm.dropped(m))]);
 * ```
 */
export function sumOf(label: string, metrics: readonly Metric[], period = DEFAULT_PERIOD) {
  const usingMetrics = Object.fromEntries(metrics.map((m, i) => [`m${i}`, m]));
  return new MathExpression({
    expression: `SUM([${Object.keys(usingMetrics).join(",")}])`,
    usingMetrics,
    label,
    period,
  });
}
