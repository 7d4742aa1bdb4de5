import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { EventEnvelope } from "../../events/envelope.ts";

/**
 * Structured logs (Powertools Logger, JSON) and metrics in CloudWatch Embedded Metric Format
 * (Powertools Metrics) for one function. Service name and namespace come from
 * `POWERTOOLS_SERVICE_NAME` / `POWERTOOLS_METRICS_NAMESPACE`, set by CDK and by the local host.
 */
export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export function createObservability(functionName: string): Observability {
  return {
    logger: new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? functionName }),
    metrics: new Metrics({
      namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? "Duplex",
      serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? functionName,
    }),
  };
}

/**
 * The keys every log line about an event carries. Passed on each call rather than appended to the
 * logger: records of a batch run concurrently and would overwrite each other's keys.
 */
export function eventLogKeys(event: EventEnvelope): Record<string, string> {
  return {
    eventId: event.eventId,
    eventType: event.eventType,
    aggregateId: event.aggregateId,
    correlationId: event.correlationId,
    causationId: event.causationId,
  };
}

export { MetricUnit };
