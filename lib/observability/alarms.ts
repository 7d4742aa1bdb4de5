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
}

/**
 * Creates the alarms of Duplex with consistent names, missing-data handling (no data means nothing
 * happened) and actions.
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

  /** Fires when a consumer group lags by more than `threshold` records for `minutes`. */
  lagAbove(name: string, lag: IMetric, threshold: number, minutes: number): Alarm {
    return this.threshold({
      id: `lag-${name}`,
      metric: lag,
      threshold,
      evaluationPeriods: minutes,
      description: `Consumer group ${name} lags more than ${threshold} records for ${minutes} minute(s).`,
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
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    if (this.props.topic) {
      alarm.addAlarmAction(new SnsAction(this.props.topic));
      alarm.addOkAction(new SnsAction(this.props.topic));
    }
    this.created.push(alarm);
    return alarm;
  }

  /** Every alarm made so far. */
  alarms(): readonly Alarm[] {
    return this.created;
  }
}
