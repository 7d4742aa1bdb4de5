/**
 * The list prices the cost model uses: us-east-1, on-demand, no free tier, USD. Each says where it
 * comes from and how sure it is. The AWS pricing pages render their tables with scripts; the
 * copies the project's search tool holds carry the text around the tables but not the figures, so
 * no price below could be re-read from AWS on 2026-12-05. They are the figures of
 * `docs/deploy.md` (written 2026-11-23 from the AWS pricing pages as known then, the two largest
 * cross-checked against public third-party price tables), plus the ones named here; where a
 * public third-party table repeats a figure, `seenAlso` says so. Check them in the AWS Pricing
 * Calculator before budgeting.
 */

export interface Price {
  /** USD per unit. `undefined`: could not be sourced here (the line is left out, and said so). */
  readonly usd: number | undefined;
  readonly unit: string;
  /** The AWS page the figure belongs to. */
  readonly source: string;
  /** When the figure was taken, and how. */
  readonly asOf: string;
  /** Public third-party material that repeats the figure (not authoritative). */
  readonly seenAlso?: string;
}

const DEPLOY_MD =
  "2026-11-23, docs/deploy.md (from the AWS pricing page as known then; not re-read here)";
const THIS_DOC = "2026-12-05, stated here from the AWS pricing page as known; not re-read here";

export const PRICES = {
  mskBrokerT3Small: {
    usd: 0.0456,
    unit: "broker-hour (kafka.t3.small)",
    source: "https://aws.amazon.com/msk/pricing/",
    asOf: DEPLOY_MD,
    seenAlso: "third-party cost calculators in public repositories (docs/deploy.md)",
  },
  mskBrokerM7gLarge: {
    usd: 0.204,
    unit: "broker-hour (kafka.m7g.large)",
    source: "https://aws.amazon.com/msk/pricing/",
    asOf: DEPLOY_MD,
    seenAlso: "third-party cost calculators in public repositories (docs/deploy.md)",
  },
  mskStorage: {
    usd: 0.1,
    unit: "GB-month of broker storage",
    source: "https://aws.amazon.com/msk/pricing/",
    asOf: DEPLOY_MD,
  },
  interAzTransfer: {
    usd: 0.01,
    unit: "GB each way between AZs (client ↔ broker)",
    source: "https://aws.amazon.com/ec2/pricing/on-demand/ (data transfer within a region)",
    asOf: DEPLOY_MD,
  },
  lambdaRequest: {
    usd: 0.2 / 1e6,
    unit: "request",
    source: "https://aws.amazon.com/lambda/pricing/",
    asOf: DEPLOY_MD,
    seenAlso: "many public price tables ($0.20 per million)",
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    unit: "GB-second, ARM, first 7.5 billion GB-s a month",
    source: "https://aws.amazon.com/lambda/pricing/",
    asOf: DEPLOY_MD,
    seenAlso:
      "public price tables and AWS Price List-shaped fixtures (usage type Lambda-GB-Second-ARM: 0.0000133334)",
  },
  lambdaEventPollerUnitHour: {
    usd: undefined,
    unit: "event poller unit-hour (provisioned mode of Kafka event source mappings)",
    source: "https://aws.amazon.com/lambda/pricing/ (Provisioned Mode)",
    asOf: "2026-12-05: not found in any copy the search tool holds; not priced",
  },
  eventBridgeCustomEvent: {
    usd: 1 / 1e6,
    unit: "custom event put (per 64 KB chunk)",
    source: "https://aws.amazon.com/eventbridge/pricing/",
    asOf: DEPLOY_MD,
  },
  eventBridgeArchiveProcessing: {
    usd: 0.1,
    unit: "GB of events archived",
    source: "https://aws.amazon.com/eventbridge/pricing/ (Archive and Replay)",
    asOf: THIS_DOC,
  },
  eventBridgeArchiveStorage: {
    usd: 0.023,
    unit: "GB-month of archive",
    source: "https://aws.amazon.com/eventbridge/pricing/ (Archive and Replay)",
    asOf: THIS_DOC,
  },
  sqsRequest: {
    usd: 0.4 / 1e6,
    unit: "standard queue request (per 64 KB chunk)",
    source: "https://aws.amazon.com/sqs/pricing/",
    asOf: DEPLOY_MD,
    seenAlso: "AWS Price List-shaped fixtures (AWSQueueService Standard: 0.0000004)",
  },
  dynamoWriteRequestUnit: {
    usd: 0.625 / 1e6,
    unit: "on-demand write request unit",
    source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    asOf: THIS_DOC,
  },
  dynamoReadRequestUnit: {
    usd: 0.125 / 1e6,
    unit: "on-demand read request unit",
    source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    asOf: THIS_DOC,
  },
  logsIngestion: {
    usd: 0.5,
    unit: "GB of CloudWatch Logs ingested",
    source: "https://aws.amazon.com/cloudwatch/pricing/",
    asOf: DEPLOY_MD,
  },
  alarmMetric: {
    usd: 0.1,
    unit: "standard-resolution alarm metric-month (a metric-math alarm counts each metric)",
    source: "https://aws.amazon.com/cloudwatch/pricing/",
    asOf: DEPLOY_MD,
  },
  customMetric: {
    usd: 0.3,
    unit: "metric-month (first 10,000)",
    source: "https://aws.amazon.com/cloudwatch/pricing/",
    asOf: DEPLOY_MD,
  },
  dashboard: {
    usd: 3,
    unit: "dashboard-month",
    source: "https://aws.amazon.com/cloudwatch/pricing/",
    asOf: DEPLOY_MD,
  },
  interfaceEndpointHour: {
    usd: 0.01,
    unit: "interface endpoint-hour per AZ",
    source: "https://aws.amazon.com/privatelink/pricing/",
    asOf: DEPLOY_MD,
  },
  kmsKey: {
    usd: 1,
    unit: "customer-managed key-month",
    source: "https://aws.amazon.com/kms/pricing/",
    asOf: DEPLOY_MD,
  },
} as const satisfies Record<string, Price>;

export type PriceName = keyof typeof PRICES;
