import { describe, expect, it } from "vitest";
import { topicsFor } from "../../events/topics.ts";
import { publishesToTheLog } from "../../functions/kit/declarations.ts";
import { functionDeclarations } from "../../functions/registry.ts";
import { MskMetricFactory } from "../../lib/observability/metrics.ts";
import { logMappings } from "../../lib/routes.ts";
import { asArray, resourcesOfType, stageSettings, synthStage, testStack } from "./support.ts";

const { json } = synthStage("dev", { nag: false });
const settings = stageSettings("dev");
const alarms = Object.values(resourcesOfType(json, "AWS::CloudWatch::Alarm")).map(
  (a) => a.Properties as Record<string, unknown>,
);
const dashboard = Object.values(resourcesOfType(json, "AWS::CloudWatch::Dashboard"))[0];
const body = JSON.stringify(dashboard?.Properties?.DashboardBody);
const mappings = logMappings(functionDeclarations, topicsFor("aws"));
const queueNames = Object.values(resourcesOfType(json, "AWS::SQS::Queue")).map((q) =>
  String(q.Properties?.QueueName),
);
const deadLetterQueues = queueNames.filter((n) => n.endsWith("-dlq"));

/** An alarm by name, with its one metric flattened (CDK renders labelled metrics as `Metrics`). */
function alarmNamed(name: string): Record<string, unknown> {
  const alarm = alarms.find((a) => a.AlarmName === `duplex-dev-${name}`);
  if (!alarm) throw new Error(`no alarm ${name}`);
  const stat = asArray(
    alarm.Metrics as { MetricStat?: { Metric: Record<string, unknown>; Stat: string } }[],
  )[0]?.MetricStat;
  return stat ? { ...alarm, ...stat.Metric, Stat: stat.Stat } : { ...alarm, Stat: alarm.Statistic };
}

/** Consumer group → logical id of its event source mapping. */
function mappingIds(): Map<string, string> {
  const ids = new Map<string, string>();
  for (const [id, r] of Object.entries(resourcesOfType(json, "AWS::Lambda::EventSourceMapping"))) {
    const topic = asArray(r.Properties?.Topics as string[])[0];
    const group = (
      r.Properties?.AmazonManagedKafkaEventSourceConfig as { ConsumerGroupId?: string }
    )?.ConsumerGroupId;
    if (topic !== undefined && group !== undefined) ids.set(group, id);
  }
  return ids;
}

/** The expression and the metrics of a metric-math alarm. */
function metricsOf(name: string): { expression: string; metrics: unknown[] } {
  const alarm = alarms.find((a) => a.AlarmName === `duplex-dev-${name}`);
  if (!alarm) throw new Error(`no alarm ${name}`);
  const queries = asArray(
    alarm.Metrics as { Expression?: string; MetricStat?: { Metric: unknown } }[],
  );
  return {
    expression: queries.find((q) => q.Expression !== undefined)?.Expression ?? "",
    metrics: queries.flatMap((q) => (q.MetricStat ? [q.MetricStat.Metric] : [])),
  };
}

function esmMetric(metricName: string, mappingId: string | undefined) {
  return {
    Namespace: "AWS/Lambda",
    MetricName: metricName,
    Dimensions: [{ Name: "EventSourceMappingUUID", Value: { Ref: mappingId } }],
  };
}

describe("DuplexObservability", () => {
  it("draws one dashboard for the stage with every required view", () => {
    expect(dashboard?.Properties?.DashboardName).toBe("duplex-dev");
    for (const needle of [
      "BytesInPerSec",
      "PolledEventCount",
      "OnFailureDestinationDeliveredEventCount",
      "ActiveControllerCount",
      "KafkaDataLogsDiskUsed",
      "SumOffsetLag",
      "OffsetLag",
      "IngestionToInvocationStartLatency",
      "ApproximateAgeOfOldestMessage",
      "ApproximateNumberOfMessagesVisible",
      "Errors",
      "Throttles",
      "Duration",
      "FailedInvocations",
      "InvocationsSentToDlq",
    ]) {
      expect(body).toContain(needle);
    }
    for (const topic of topicsFor("aws")) expect(body).toContain(`\\"Topic\\",\\"${topic.name}\\"`);
    for (const m of mappings) expect(body).toContain(m.consumerGroup);
  });

  it("sums bytes per second of a topic over every broker (a DEFAULT-level metric)", () => {
    const expression = new MskMetricFactory({
      clusterName: "c",
      brokerCount: 3,
    }).bytesInPerSecond("order-events");
    expect(expression.expression).toBe(
      "SUM([order_events_in_b1,order_events_in_b2,order_events_in_b3])",
    );
    testStack(); // the factory needs no construct
  });

  it("alarms on any message in any dead-letter queue", () => {
    expect(deadLetterQueues.length).toBeGreaterThan(0);
    for (const queue of deadLetterQueues) {
      const name = queue.replace(/^duplex-dev-/, "");
      const alarm = alarmNamed(`dlq-${name}`);
      expect(alarm).toMatchObject({
        MetricName: "ApproximateNumberOfMessagesVisible",
        Namespace: "AWS/SQS",
        Threshold: 0,
        ComparisonOperator: "GreaterThanThreshold",
        TreatMissingData: "notBreaching",
      });
    }
  });

  it("alarms when a consumer group lags over the stage's threshold", () => {
    for (const m of mappings) {
      expect(alarmNamed(`lag-${m.consumerGroup}`)).toMatchObject({
        Namespace: "AWS/Kafka",
        MetricName: "SumOffsetLag",
        Threshold: settings.observability.offsetLagThreshold,
        EvaluationPeriods: settings.observability.lagEvaluationMinutes,
        // MSK publishes no lag for a group that never committed: silence must not be "OK".
        TreatMissingData: "breaching",
        Dimensions: expect.arrayContaining([
          { Name: "Consumer Group", Value: m.consumerGroup },
          { Name: "Topic", Value: m.topic },
          { Name: "Cluster Name", Value: "duplex-dev" },
        ]),
      });
    }
  });

  it("alarms when a log mapping makes no poll (disabled, never started, cannot reach the cluster)", () => {
    const ids = mappingIds();
    for (const m of mappings) {
      const alarm = alarmNamed(`not-consuming-${m.consumerGroup}`);
      expect(alarm).toMatchObject({
        Namespace: "AWS/Lambda",
        MetricName: "PolledEventCount",
        Stat: "SampleCount",
        Threshold: 1,
        ComparisonOperator: "LessThanThreshold",
        EvaluationPeriods: settings.observability.notConsumingMinutes,
        TreatMissingData: "breaching",
      });
      expect(alarm.Dimensions).toEqual([
        { Name: "EventSourceMappingUUID", Value: { Ref: ids.get(m.consumerGroup) } },
      ]);
    }
  });

  it("alarms on records of the log sent to dead-letters, by the adapter or by Lambda, and on records dropped", () => {
    const ids = mappingIds();
    for (const fn of new Set(mappings.map((m) => m.handler.name))) {
      const own = mappings
        .filter((m) => m.handler.name === fn)
        .map((m) => ids.get(m.consumerGroup));
      const sent = metricsOf(`log-dead-letters-${fn}`);
      expect(sent.expression).toMatch(/^SUM\(\[/);
      expect(sent.metrics).toContainEqual({
        Namespace: "Duplex",
        MetricName: "DeadLettered",
        Dimensions: [{ Name: "service", Value: fn }],
      });
      for (const id of own) {
        expect(sent.metrics).toContainEqual(
          esmMetric("OnFailureDestinationDeliveredEventCount", id),
        );
      }
      const lost = metricsOf(`log-records-lost-${fn}`);
      for (const id of own) {
        expect(lost.metrics).toContainEqual(esmMetric("DroppedEventCount", id));
        expect(lost.metrics).toContainEqual(
          esmMetric("OnFailureDestinationDeliveryErrorCount", id),
        );
      }
    }
  });

  it("alarms on the log refusing publishes, for every function that publishes to the log and for no other", () => {
    const publishers = functionDeclarations.filter(publishesToTheLog);
    expect(publishers.map((d) => d.name)).toEqual(
      expect.arrayContaining(["command-api", "order-commands", "order-saga", "outbox-sweeper"]),
    );
    for (const d of publishers) {
      const alarm = alarmNamed(`log-publish-refused-${d.name}`);
      expect(alarm).toMatchObject({
        Namespace: "Duplex",
        MetricName: "LogPublishRefused",
        Dimensions: [{ Name: "service", Value: d.name }],
        Stat: "Sum",
        Threshold: 0,
        ComparisonOperator: "GreaterThanThreshold",
        EvaluationPeriods: 1,
        TreatMissingData: "notBreaching",
      });
      expect(asArray(alarm.AlarmActions as unknown[])).toHaveLength(1);
      expect(String(alarm.AlarmDescription)).toMatch(/retry budget|RETRY_BUDGET.*runbook/s);
    }
    const refusalAlarms = alarms.filter((a) =>
      String(a.AlarmName).startsWith("duplex-dev-log-publish-refused-"),
    );
    expect(refusalAlarms).toHaveLength(publishers.length);
  });

  it("alarms on broker health with DEFAULT-level (free) metrics", () => {
    expect(settings.eventLog.enhancedMonitoring).toBe("DEFAULT");
    expect(alarmNamed("msk-no-active-controller")).toMatchObject({
      MetricName: "ActiveControllerCount",
      Threshold: 1,
      ComparisonOperator: "LessThanThreshold",
      Dimensions: [{ Name: "Cluster Name", Value: "duplex-dev" }],
    });
    expect(alarmNamed("msk-offline-partitions")).toMatchObject({
      MetricName: "OfflinePartitionsCount",
      Threshold: 0,
    });
    expect(JSON.stringify(metricsOf("msk-under-min-isr").metrics)).toContain(
      "UnderMinIsrPartitionCount",
    );
    const disk = metricsOf("msk-disk-used");
    expect(disk.expression).toBe("MAX([disk_b1,disk_b2,disk_b3])");
    expect(alarmNamed("msk-disk-used").Threshold).toBe(
      settings.observability.brokerDiskUsedPercent,
    );
  });

  it("alarms on errors and throttles of every function", () => {
    for (const d of functionDeclarations) {
      expect(alarmNamed(`errors-${d.name}`)).toMatchObject({
        MetricName: "Errors",
        Threshold: settings.observability.errorThreshold,
      });
      expect(alarmNamed(`throttles-${d.name}`)).toMatchObject({
        MetricName: "Throttles",
        Threshold: settings.observability.throttleThreshold,
      });
    }
  });

  it("alarms when the saga decides a deadline on the wall clock (degraded mode), and graphs its stream time", () => {
    const alarm = alarms.find((a) => a.AlarmName === "duplex-dev-saga-deadlines-forced");
    expect(alarm).toMatchObject({
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      EvaluationPeriods: 1,
      TreatMissingData: "notBreaching",
    });
    const stat = asArray(
      alarm?.Metrics as { MetricStat?: { Metric: unknown; Period: number; Stat: string } }[],
    )[0]?.MetricStat;
    expect(stat).toEqual({
      Metric: {
        Namespace: "Duplex",
        MetricName: "SagaDeadlinesForced",
        Dimensions: [{ Name: "service", Value: "saga-sweeper" }],
      },
      Period: 300,
      Stat: "Sum",
    });
    expect(String(alarm?.AlarmDescription)).toMatch(/wall clock.*runbook/s);
    for (const needle of [
      "SagaWatermarkLagSeconds",
      "SagaInputsStalled",
      "SagaDeadlinesHeld",
      "SagaDeadlinesFired",
    ]) {
      expect(body).toContain(needle);
    }
  });

  it("notifies an encrypted, TLS-only SNS topic on alarm and on recovery", () => {
    const [topicId, topic] = Object.entries(resourcesOfType(json, "AWS::SNS::Topic"))[0] ?? [];
    expect(topic?.Properties?.KmsMasterKeyId).toBeDefined();
    for (const alarm of alarms) {
      expect(asArray(alarm.AlarmActions)).toEqual([{ Ref: topicId }]);
      expect(asArray(alarm.OKActions)).toEqual([{ Ref: topicId }]);
    }
    const policy = Object.values(resourcesOfType(json, "AWS::SNS::TopicPolicy"))[0];
    expect(JSON.stringify(policy?.Properties?.PolicyDocument)).toContain(
      '"aws:SecureTransport":"false"',
    );
  });

  it("has exactly the alarms above", () => {
    const logReaders = new Set(mappings.map((m) => m.handler.name)).size;
    const logWriters = functionDeclarations.filter(publishesToTheLog).length;
    expect(alarms).toHaveLength(
      // + the HTTP API's 5xx, latency and 4xx-rate alarms, + SagaDeadlinesForced
      deadLetterQueues.length +
        2 * mappings.length +
        2 * logReaders +
        logWriters +
        4 +
        2 * functionDeclarations.length +
        4,
    );
  });
});
