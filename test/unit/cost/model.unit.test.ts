import { describe, expect, it } from "vitest";
import {
  brokerDiskGiB,
  type MeasuredFile,
  perOrder,
  priceMillionOrders,
  type StageShape,
  scheduledMonthly,
  total,
} from "../../../bin/cost/model.ts";

const run: MeasuredFile = {
  measuredAt: "2026-12-05T00:00:00Z",
  how: "synthetic",
  commandsPublishedByProducers: 2,
  orders: 2,
  outcomes: { COMPLETED: 2 },
  log: {
    "order-commands": { records: 4, bytes: 4_000 },
    "order-events": { records: 6, bytes: 6_000 },
  },
  functions: {
    "order-commands": { invocations: 4, totalMs: 2_000, memoryMb: 1024, trigger: "fast-lane" },
    "order-saga": { invocations: 6, totalMs: 1_000, memoryMb: 512, trigger: "log" },
    "saga-sweeper": { invocations: 100, totalMs: 9_000, memoryMb: 256, trigger: "schedule" },
  },
  awsCalls: {
    "EventBridge:PutEvents": { calls: 2, entries: 4, readUnits: 0, writeUnits: 0 },
    "DynamoDB:PutItem": { calls: 4, entries: 1, readUnits: 0, writeUnits: 8 },
    "DynamoDB:GetItem": { calls: 6, entries: 1, readUnits: 3, writeUnits: 0 },
    "SQS:SendMessage": { calls: 2, entries: 1, readUnits: 0, writeUnits: 0 },
  },
  scheduledAwsCalls: {
    "DynamoDB:Query": { calls: 100, entries: 1, readUnits: 50, writeUnits: 0 },
  },
  pollerRequests: { receives: 4, deletes: 4 },
  logOutputBytes: 2_000,
};

const stage: StageShape = {
  name: "test",
  broker: "mskBrokerM7gLarge",
  brokers: 3,
  volumeGiB: 100,
  retentionDaysByTopic: { "order-commands": 7, "order-events": 30 },
  archiveRetentionDays: 30,
  interfaceEndpoints: 2,
  kmsKeys: 4,
  alarmMetrics: 10,
  scheduleEveryMinutes: { "saga-sweeper": 1 },
};

describe("the cost model", () => {
  it("counts per order, leaving scheduled sweeps out", () => {
    expect(perOrder(run)).toMatchObject({
      invocations: 5,
      gbSeconds: (2 + 0.5) / 2,
      putEvents: 2 + 1, // the functions' entries and the producer's commands
      sqsRequests: 3 + 1 + 4, // one delivery per entry, the sends, the pollers' receives and deletes
      readUnits: 1.5,
      writeUnits: 4,
      logBytes: 5_000,
      commandBytes: 2_000,
    });
  });

  it("prices a million orders: variable lines scale, fixed ones spread over the month's orders", () => {
    const at1m = priceMillionOrders(run, stage, 1_000_000);
    const at10m = priceMillionOrders(run, stage, 10_000_000);
    const line = (lines: typeof at1m, name: string) =>
      lines.find((l) => l.line.startsWith(name))?.usd;
    expect(line(at1m, "Lambda requests")).toBeCloseTo(5 * 0.2, 6);
    expect(line(at1m, "EventBridge custom events")).toBeCloseTo(3, 6);
    expect(line(at1m, "DynamoDB")).toBeCloseTo(1.5 * 0.125 + 4 * 0.625, 6);
    expect(line(at1m, "MSK brokers")).toBeCloseTo(3 * 0.204 * 730, 6);
    expect(line(at10m, "MSK brokers")).toBeCloseTo((3 * 0.204 * 730) / 10, 6);
    expect(line(at10m, "Lambda requests")).toBe(line(at1m, "Lambda requests"));
    // 2 KB of commands per order on the log, 3 KB of events; each kept for its topic's retention.
    expect(line(at1m, "MSK storage used")).toBeCloseTo(
      ((1e6 * 3 * (2_000 * 7 + 3_000 * 30)) / 30 / 1e9) * 0.1,
      6,
    );
    expect(line(at1m, "Lambda provisioned event pollers")).toBeUndefined();
    expect(total(at1m)).toBeGreaterThan(total(at10m));
  });

  it("prices scheduled functions by the clock: every minute all month, each run as measured", () => {
    const monthly = scheduledMonthly(run, stage);
    expect(monthly.runsPerMonth).toBe(730 * 60);
    // 100 measured runs: 90 ms at 256 MB and 0.5 RRU each.
    expect(monthly.usd).toBeCloseTo(
      730 * 60 * (0.2 / 1e6 + 0.09 * 0.25 * 0.0000133334 + 0.5 * (0.125 / 1e6)),
      9,
    );
    const at1m = priceMillionOrders(run, stage, 1_000_000);
    const at10m = priceMillionOrders(run, stage, 10_000_000);
    const line = (lines: typeof at1m) => lines.find((l) => l.line.startsWith("Scheduled"))?.usd;
    expect(line(at1m)).toBeCloseTo(monthly.usd, 9);
    expect(line(at10m)).toBeCloseTo(monthly.usd / 10, 9);
  });

  it("sizes broker disk for the retention of each topic", () => {
    const perBroker = brokerDiskGiB(run, stage, 10_000);
    expect(perBroker).toBeCloseTo((10_000 * (2_000 * 7 + 3_000 * 30) * 3) / 3 / 2 ** 30, 9);
  });
});
