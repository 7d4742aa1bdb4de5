import type { MeasuredRun } from "../../localstack/demo/cost-meter.ts";
import { PRICES, type PriceName } from "./prices.ts";

/**
 * The cost model: what one million orders cost on a stage, end to end, from the requests one
 * order took on a measured run (`npm start -- --measure-costs FILE`) and the list prices in
 * `prices.ts`. Variable lines scale with orders; fixed lines (brokers, endpoints, keys, alarms)
 * are spread over the orders of a month at a given volume. Pure: no I/O.
 */

/** A measured run as written to the file (what `MeasuredRun` holds, and how it was made). */
export interface MeasuredFile extends Omit<MeasuredRun, "scheduledAwsCalls"> {
  /** Absent in files measured before the meter split the scheduled functions' calls off. */
  readonly scheduledAwsCalls?: MeasuredRun["scheduledAwsCalls"];
  readonly measuredAt: string;
  readonly how: string;
  /** Critical commands the demo's producer put on the bus (an API would, on AWS). */
  readonly commandsPublishedByProducers: number;
}

/** What about a stage changes its bill. */
export interface StageShape {
  readonly name: string;
  readonly broker: Extract<PriceName, "mskBrokerT3Small" | "mskBrokerM7gLarge">;
  readonly brokers: number;
  readonly volumeGiB: number;
  /** How long the log keeps a record of each topic (the catalog's retention), days. */
  readonly retentionDaysByTopic: Readonly<Record<string, number>>;
  readonly archiveRetentionDays: number;
  readonly interfaceEndpoints: number;
  readonly kmsKeys: number;
  /** Metrics in the stage's alarms (a metric-math alarm is billed per metric). */
  readonly alarmMetrics: number;
  /** How often each scheduled function runs on AWS (its declaration's `everyMinutes`). */
  readonly scheduleEveryMinutes: Readonly<Record<string, number>>;
}

export interface CostLine {
  readonly line: string;
  readonly usd: number | undefined;
  /** The arithmetic, for people. */
  readonly how: string;
  readonly prices: readonly PriceName[];
}

const HOURS_PER_MONTH = 730;
const GB = 1e9;
const MILLION = 1e6;

function price(name: PriceName): number {
  return PRICES[name].usd ?? Number.NaN;
}

function sum<T>(items: readonly T[], f: (t: T) => number): number {
  return items.reduce((n, t) => n + f(t), 0);
}

/** Per-order quantities of a measured run. */
export function perOrder(run: MeasuredFile) {
  const n = run.orders;
  const fns = Object.entries(run.functions).filter(
    // Scheduled sweeps run by the clock and the operators' function by hand: not per order.
    ([, f]) => f.trigger === "fast-lane" || f.trigger === "log",
  );
  const calls = (service: string, field: "calls" | "entries" | "readUnits" | "writeUnits") =>
    sum(
      Object.entries(run.awsCalls).filter(([k]) => k.startsWith(`${service}:`)),
      ([, v]) => v[field],
    ) / n;
  const logRecords = sum(Object.values(run.log), (t) => t.records) / n;
  const logBytes = sum(Object.values(run.log), (t) => t.bytes) / n;
  const commandBytes =
    sum(
      Object.entries(run.log).filter(([topic]) => topic.endsWith("-commands")),
      ([, t]) => t.bytes,
    ) / n;
  const putEvents = calls("EventBridge", "entries") + run.commandsPublishedByProducers / n;
  return {
    invocations: sum(fns, ([, f]) => f.invocations) / n,
    gbSeconds: sum(fns, ([, f]) => (f.totalMs / 1000) * (f.memoryMb / 1024)) / n,
    putEvents,
    // Every critical command put on the bus is delivered to its queue: one SendMessage each.
    sqsRequests:
      putEvents +
      calls("SQS", "calls") +
      (run.pollerRequests.receives + run.pollerRequests.deletes) / n,
    readUnits: calls("DynamoDB", "readUnits"),
    writeUnits: calls("DynamoDB", "writeUnits"),
    dynamoCalls: calls("DynamoDB", "calls"),
    logRecords,
    logBytes,
    commandBytes,
    logOutputBytes: run.logOutputBytes / n,
  };
}

/**
 * The cost of one million orders on a stage when it takes `ordersPerMonth` orders a month.
 *
 * @example
 * ```ts
 * priceMillionOrders(run, prodShape, 1_000_000).reduce((n, l) => n + (l.usd ?? 0), 0);
 * ```
 */
export function priceMillionOrders(
  run: MeasuredFile,
  stage: StageShape,
  ordersPerMonth: number,
): CostLine[] {
  const o = perOrder(run);
  const monthsOfVolume = MILLION / ordersPerMonth;
  const fixed = (monthly: number) => monthly * monthsOfVolume;
  const lines: CostLine[] = [
    {
      line: "Lambda requests",
      usd: o.invocations * MILLION * price("lambdaRequest"),
      how: `${o.invocations.toFixed(2)} invocations/order`,
      prices: ["lambdaRequest"],
    },
    {
      line: "Lambda duration (ARM)",
      usd: o.gbSeconds * MILLION * price("lambdaArmGbSecond"),
      how: `${o.gbSeconds.toFixed(3)} GB-s/order, durations measured locally (see notes)`,
      prices: ["lambdaArmGbSecond"],
    },
    {
      line: "EventBridge custom events",
      usd: o.putEvents * MILLION * price("eventBridgeCustomEvent"),
      how: `${o.putEvents.toFixed(2)} entries/order`,
      prices: ["eventBridgeCustomEvent"],
    },
    {
      line: "EventBridge archive",
      usd:
        ((o.commandBytes * MILLION) / GB) *
        (price("eventBridgeArchiveProcessing") +
          price("eventBridgeArchiveStorage") * (stage.archiveRetentionDays / 30)),
      how: `${Math.round(o.commandBytes)} B of commands/order, kept ${stage.archiveRetentionDays} days`,
      prices: ["eventBridgeArchiveProcessing", "eventBridgeArchiveStorage"],
    },
    {
      line: "SQS requests",
      usd: o.sqsRequests * MILLION * price("sqsRequest"),
      how: `${o.sqsRequests.toFixed(2)} requests/order (deliveries, sends, non-empty receives, deletes)`,
      prices: ["sqsRequest"],
    },
    {
      line: "DynamoDB reads and writes",
      usd:
        o.readUnits * MILLION * price("dynamoReadRequestUnit") +
        o.writeUnits * MILLION * price("dynamoWriteRequestUnit"),
      how: `${o.readUnits.toFixed(1)} RRU + ${o.writeUnits.toFixed(1)} WRU/order (${o.dynamoCalls.toFixed(1)} calls)`,
      prices: ["dynamoReadRequestUnit", "dynamoWriteRequestUnit"],
    },
    {
      line: "MSK storage used by the records (× 3 replicas, for each topic's retention)",
      usd: storedGbMonthsPerOrder(run, stage) * MILLION * price("mskStorage"),
      how: `${o.logRecords.toFixed(1)} records, ${Math.round(o.logBytes)} B/order on the log; only beyond the provisioned volume is it extra (see the line below)`,
      prices: ["mskStorage"],
    },
    {
      line: "CloudWatch Logs ingestion",
      usd: ((o.logOutputBytes * MILLION) / GB) * price("logsIngestion"),
      how: `${Math.round(o.logOutputBytes)} B/order of function logs at INFO (Lambda's own START/END/REPORT lines not counted)`,
      prices: ["logsIngestion"],
    },
    {
      line: `MSK brokers (${stage.brokers})`,
      usd: fixed(stage.brokers * price(stage.broker) * HOURS_PER_MONTH),
      how: `${stage.brokers} × ${HOURS_PER_MONTH} h, spread over ${ordersPerMonth.toLocaleString("en")} orders/month`,
      prices: [stage.broker],
    },
    {
      line: "MSK provisioned storage",
      usd: fixed(stage.brokers * stage.volumeGiB * price("mskStorage")),
      how: `${stage.brokers} × ${stage.volumeGiB} GiB`,
      prices: ["mskStorage"],
    },
    (() => {
      const s = scheduledMonthly(run, stage);
      return {
        line: `Scheduled functions (${s.functions}, all month)`,
        usd: fixed(s.usd),
        how: `${Math.round(s.runsPerMonth).toLocaleString("en")} runs/month, ${s.gbSecondsPerRun.toFixed(3)} GB-s and ${s.readUnitsPerRun.toFixed(2)} RRU per run as measured`,
        prices: [
          "lambdaRequest",
          "lambdaArmGbSecond",
          "dynamoReadRequestUnit",
          "dynamoWriteRequestUnit",
          "sqsRequest",
          "eventBridgeCustomEvent",
        ] satisfies PriceName[],
      };
    })(),
    {
      line: "Interface endpoints, KMS keys, alarms, dashboard",
      usd: fixed(
        stage.interfaceEndpoints * 3 * HOURS_PER_MONTH * price("interfaceEndpointHour") +
          stage.kmsKeys * price("kmsKey") +
          stage.alarmMetrics * price("alarmMetric") +
          price("dashboard"),
      ),
      how: `${stage.interfaceEndpoints} endpoints × 3 AZs, ${stage.kmsKeys} keys, ${stage.alarmMetrics} alarm metrics, 1 dashboard`,
      prices: ["interfaceEndpointHour", "kmsKey", "alarmMetric", "dashboard"],
    },
    {
      line: "Lambda provisioned event pollers (EPU-hours)",
      usd: undefined,
      how: "price not found here (prices.ts); at least one poller per MSK mapping runs all month",
      prices: ["lambdaEventPollerUnitHour"],
    },
  ];
  return lines;
}

/**
 * What the scheduled functions cost in a month on AWS: each runs every `everyMinutes` all month
 * whatever the volume; a run costs what a run cost on the measured run on average (locally they run
 * every few seconds, so the run has many more of them than a minute-rate would give).
 */
export function scheduledMonthly(run: MeasuredFile, stage: StageShape) {
  const scheduled = Object.entries(run.functions).filter(([, f]) => f.trigger === "schedule");
  const measuredRuns = sum(scheduled, ([, f]) => f.invocations);
  const runsPerMonth = sum(
    scheduled,
    ([name]) => (HOURS_PER_MONTH * 60) / (stage.scheduleEveryMinutes[name] ?? 1),
  );
  const perRun = (field: "calls" | "entries" | "readUnits" | "writeUnits", service: string) =>
    measuredRuns === 0
      ? 0
      : sum(
          Object.entries(run.scheduledAwsCalls ?? {}).filter(([k]) => k.startsWith(`${service}:`)),
          ([, v]) => v[field],
        ) / measuredRuns;
  const gbSecondsPerRun =
    measuredRuns === 0
      ? 0
      : sum(scheduled, ([, f]) => (f.totalMs / 1000) * (f.memoryMb / 1024)) / measuredRuns;
  const usd =
    runsPerMonth *
    (price("lambdaRequest") +
      gbSecondsPerRun * price("lambdaArmGbSecond") +
      perRun("readUnits", "DynamoDB") * price("dynamoReadRequestUnit") +
      perRun("writeUnits", "DynamoDB") * price("dynamoWriteRequestUnit") +
      perRun("calls", "SQS") * price("sqsRequest") +
      perRun("entries", "EventBridge") * price("eventBridgeCustomEvent"));
  return {
    usd,
    runsPerMonth,
    functions: scheduled.length,
    gbSecondsPerRun,
    readUnitsPerRun: perRun("readUnits", "DynamoDB"),
  };
}

/** GB-months of broker disk one order's records take while their topics keep them (× 3 replicas). */
export function storedGbMonthsPerOrder(run: MeasuredFile, stage: StageShape): number {
  return sum(
    Object.entries(run.log),
    ([topic, t]) =>
      ((t.bytes / run.orders) * 3 * (stage.retentionDaysByTopic[topic] ?? 7)) / 30 / GB,
  );
}

/**
 * Disk each broker needs for a steady `ordersPerDay`: every topic's bytes for its retention, three
 * replicas spread over the brokers (GiB).
 *
 * @example
 * ```ts
 * brokerDiskGiB(run, prodShape, 100_000); // GiB per broker at 100,000 orders a day
 * ```
 */
export function brokerDiskGiB(run: MeasuredFile, stage: StageShape, ordersPerDay: number): number {
  const bytes = sum(
    Object.entries(run.log),
    ([topic, t]) =>
      (t.bytes / run.orders) * ordersPerDay * (stage.retentionDaysByTopic[topic] ?? 7) * 3,
  );
  return bytes / stage.brokers / 2 ** 30;
}

/** The total of the lines that could be priced. */
export function total(lines: readonly CostLine[]): number {
  return sum(lines, (l) => l.usd ?? 0);
}
