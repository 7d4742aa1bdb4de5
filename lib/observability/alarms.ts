import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import type { Construct } from "constructs";

/** Properties of {@link AlarmFactory}. */
export interface AlarmFactoryProps {
  /** Prefix of alarm names, e.g. `duplex-dev`. */
  readonly namePrefix: string;
  /**
   * Topic notified when an alarm fires or recovers.
   *
   * @default - no action
   */
  readonly topic?: ITopic;
}

/** A threshold alarm to create. */
export interface ThresholdAlarmSpec {
  /** Unique within the scope; also the end of the alarm name. */
  readonly id: string;
  readonly metric: IMetric;
  readonly threshold: number;
  readonly description: string;
  /**
   * Consecutive periods above the threshold.
   *
   * @default 1
   */
  readonly evaluationPeriods?: number;
  /**
   * @default ComparisonOperator.GREATER_THAN_THRESHOLD
   */
  readonly comparisonOperator?: ComparisonOperator;
  /**
   * What a period without data counts as.
   *
   * @default TreatMissingData.NOT_BREACHING — no data means nothing happened
   */
  readonly treatMissingData?: TreatMissingData;
  /**
   * Also notify when the alarm has no data to judge (for metrics whose absence is itself a fault).
   *
   * @default false
   */
  readonly notifyOnInsufficientData?: boolean;
}

/**
 * Creates the alarms of Duplex with consistent names, missing-data handling (no data means nothing
 * happened, unless the absence of data is itself the fault: lag, polls, the controller) and
 * actions.
 *
 * @example
 * ```ts
 * const alarms = new AlarmFactory(this, { namePrefix: "duplex-dev", topic });
 * alarms.deadLetterQueueNotEmpty("PlaceOrderRequested-dlq", queues.depth(dlq));
 * ```
 */
export class AlarmFactory {
  private readonly scope: Construct;
  private readonly props: AlarmFactoryProps;
  private readonly created: Alarm[] = [];

  constructor(scope: Construct, props: AlarmFactoryProps) {
    this.scope = scope;
    this.props = props;
  }

  /** Fires as soon as one message waits in a dead-letter queue. */
  deadLetterQueueNotEmpty(name: string, depth: IMetric): Alarm {
    return this.threshold({
      id: `dlq-${name}`,
      metric: depth,
      threshold: 0,
      description: `Dead-letter queue ${name} holds messages: inspect them and redrive or discard.`,
    });
  }

  /**
   * Fires when a consumer group lags by more than `threshold` records for `minutes`, **and when
   * there is no lag metric at all** for that long: MSK publishes none for a group that never
   * committed (its mapping never consumed) or that stays unstable, so silence is not "no lag".
   */
  lagAbove(name: string, lag: IMetric, threshold: number, minutes: number): Alarm {
    return this.threshold({
      id: `lag-${name}`,
      metric: lag,
      threshold,
      evaluationPeriods: minutes,
      treatMissingData: TreatMissingData.BREACHING,
      description: `Consumer group ${name} lags more than ${threshold} records for ${minutes} minute(s), or MSK published no lag for it (the group never committed, or is rebalancing): check with duplex doctor / duplex lag.`,
    });
  }

  /**
   * Fires when a log mapping made no poll for `minutes` (its `PolledEventCount` has no sample:
   * disabled, never started, or failing to reach the cluster).
   */
  mappingNotConsuming(name: string, polls: IMetric, minutes: number): Alarm {
    return this.threshold({
      id: `not-consuming-${name}`,
      metric: polls,
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: minutes,
      treatMissingData: TreatMissingData.BREACHING,
      description: `The event source mapping of ${name} made no poll for ${minutes} minute(s): it is disabled, still starting, or cannot reach the cluster (see its StateTransitionReason and LastProcessingResult: duplex doctor).`,
    });
  }

  /** Fires when records of a log reader went to the `dead-letters` topic. */
  logDeadLetters(functionName: string, deadLettered: IMetric): Alarm {
    return this.threshold({
      id: `log-dead-letters-${functionName}`,
      metric: deadLettered,
      threshold: 0,
      description: `${functionName} sent records of the log to the dead-letters topic (undecodable, or failing after every retry): duplex dlq show dead-letters, fix, duplex dlq redrive dead-letters.`,
    });
  }

  /** Fires when records of a log reader were dropped instead of reaching `dead-letters`. */
  logRecordsLost(functionName: string, lost: IMetric): Alarm {
    return this.threshold({
      id: `log-records-lost-${functionName}`,
      metric: lost,
      threshold: 0,
      description: `Lambda dropped records of ${functionName}'s mappings or could not write them to the dead-letters topic: they are still on their source topic until retention; replay them with duplex replay log before they expire.`,
    });
  }

  /**
   * Fires as soon as a function's publisher refused events: the log did not acknowledge them
   * within the retry budget. Callers were told (503, `PublishRefusedError`) and retry, so nothing
   * acknowledged is lost, but the log is out of reach for that function.
   */
  logPublishRefused(functionName: string, refused: IMetric): Alarm {
    return this.threshold({
      id: `log-publish-refused-${functionName}`,
      metric: refused,
      threshold: 0,
      description: `${functionName}'s publisher refused events: the log did not acknowledge them within DUPLEX_PUBLISH_RETRY_BUDGET_SECONDS (brokers down, under min ISR, or cut off from the function). Nothing refused reached the fast lane; callers retry. Check the msk-* alarms, npx duplex topics and npx duplex lag; see docs/runbook.md, "the log refuses publishes".`,
    });
  }

  /** Fires when the cluster reports no active controller for 5 minutes (or reports nothing). */
  noActiveController(controllers: IMetric): Alarm {
    return this.threshold({
      id: "msk-no-active-controller",
      metric: controllers,
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 5,
      treatMissingData: TreatMissingData.MISSING,
      notifyOnInsufficientData: true,
      description:
        "The MSK cluster has had no active controller for 5 minutes (a brief dip during a broker restart is normal).",
    });
  }

  /** Fires as soon as a partition has no leader. */
  offlinePartitions(offline: IMetric): Alarm {
    return this.threshold({
      id: "msk-offline-partitions",
      metric: offline,
      threshold: 0,
      description:
        "Partitions of the log are offline (no leader): nothing can be written to or read from them.",
    });
  }

  /** Fires when a partition has fewer in-sync replicas than `min.insync.replicas`. */
  underMinIsr(underMinIsr: IMetric): Alarm {
    return this.threshold({
      id: "msk-under-min-isr",
      metric: underMinIsr,
      threshold: 0,
      description:
        "Partitions have fewer in-sync replicas than min.insync.replicas (2): every acks=all write to them is refused (publishers retry, then refuse).",
    });
  }

  /** Fires when the fullest broker's data disk is `percent` % used or more. */
  brokerDiskUsed(used: IMetric, percent: number): Alarm {
    return this.threshold({
      id: "msk-disk-used",
      metric: used,
      threshold: percent,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 5,
      description: `A broker's data disk is ${percent} % full or more: storage auto-scaling steps at most every 6 hours and only up to its maximum; raise it, or shorten retention.`,
    });
  }

  /** Fires when a function reports at least `threshold` errors in a period. */
  errors(name: string, errors: IMetric, threshold: number): Alarm {
    return this.threshold({
      id: `errors-${name}`,
      metric: errors,
      threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      description: `Function ${name} failed ${threshold} or more time(s) in a period.`,
    });
  }

  /** Fires when a function is throttled at least `threshold` times in a period. */
  throttles(name: string, throttles: IMetric, threshold: number): Alarm {
    return this.threshold({
      id: `throttles-${name}`,
      metric: throttles,
      threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      description: `Function ${name} was throttled ${threshold} or more time(s) in a period.`,
    });
  }

  /** Fires when an HTTP API answers `threshold` or more 5xx in a period. */
  apiServerErrors(name: string, errors: IMetric, threshold: number): Alarm {
    return this.threshold({
      id: `api-5xx-${name}`,
      metric: errors,
      threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      description: `HTTP API ${name} answered ${threshold} or more 5xx in a period: a function fails or the log refuses commands (503).`,
    });
  }

  /** Fires when an HTTP API's p99 latency stays above `thresholdMs` for `periods` periods. */
  apiLatency(name: string, p99: IMetric, thresholdMs: number, periods: number): Alarm {
    return this.threshold({
      id: `api-latency-${name}`,
      metric: p99,
      threshold: thresholdMs,
      evaluationPeriods: periods,
      description: `HTTP API ${name}: p99 latency above ${thresholdMs} ms for ${periods} period(s).`,
    });
  }

  /** Fires when more than `percent` % of an HTTP API's requests are answered 4xx, for `periods`. */
  apiClientErrorRate(name: string, rate: IMetric, percent: number, periods: number): Alarm {
    return this.threshold({
      id: `api-4xx-rate-${name}`,
      metric: rate,
      threshold: percent,
      evaluationPeriods: periods,
      description: `HTTP API ${name}: more than ${percent} % of requests answered 4xx for ${periods} period(s) (a broken client, or auth misconfigured).`,
    });
  }

  /**
   * Fires when the saga decided any deadline on the wall clock (degraded mode): an input consumer
   * of the saga stalled for the grace, or a step's command was never handled. Orders may have been
   * cancelled by our own lag rather than by a silent step.
   */
  sagaDeadlinesForced(forced: IMetric): Alarm {
    return this.threshold({
      id: "saga-deadlines-forced",
      metric: forced,
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      description:
        "Saga deadlines were decided on the wall clock (degraded mode): a saga input consumer made no progress for the grace, or a step's command was never handled. Late answers are compensated, but orders may have been cancelled by our own lag. Look at the saga-sweeper's log ('decided on the wall clock': order, reason), `duplex lag` for the saga's consumer groups, and the fast-lane DLQs; see docs/runbook.md.",
    });
  }

  /** Any threshold alarm. */
  threshold(spec: ThresholdAlarmSpec): Alarm {
    const alarm = new Alarm(this.scope, spec.id, {
      alarmName: `${this.props.namePrefix}-${spec.id}`,
      alarmDescription: spec.description,
      metric: spec.metric,
      threshold: spec.threshold,
      evaluationPeriods: spec.evaluationPeriods ?? 1,
      comparisonOperator: spec.comparisonOperator ?? ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: spec.treatMissingData ?? TreatMissingData.NOT_BREACHING,
    });
    if (this.props.topic) {
      alarm.addAlarmAction(new SnsAction(this.props.topic));
      alarm.addOkAction(new SnsAction(this.props.topic));
      if (spec.notifyOnInsufficientData)
        alarm.addInsufficientDataAction(new SnsAction(this.props.topic));
    }
    this.created.push(alarm);
    return alarm;
  }

  /** Every alarm made so far. */
  alarms(): readonly Alarm[] {
    return this.created;
  }
}
