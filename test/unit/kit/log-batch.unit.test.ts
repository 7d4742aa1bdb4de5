import { describe, expect, it } from "vitest";
import type { MskEventRecord } from "../../../events/codecs/lambda.ts";
import { kafkaItemIdentifier, processKafkaBatch } from "../../../functions/kit/log-batch.ts";
import { mskEventFor, mskRecordFor } from "../../support/records.ts";
import { sampleEvent } from "../../support/samples.ts";

/** Records of one partition of `order-events` at the given offsets. */
function partitionRecords(partition: number, offsets: readonly number[]): MskEventRecord[] {
  return offsets.map((offset) =>
    mskRecordFor(sampleEvent("OrderPlaced", { orderId: `o-${partition}` }), partition, offset),
  );
}

const ids = (records: readonly MskEventRecord[]) => records.map((r) => kafkaItemIdentifier(r));

describe("processKafkaBatch (partial batch responses for MSK)", () => {
  it("identifies a record as <topic>-<partition>-<offset>, as Lambda expects", () => {
    const [record] = partitionRecords(3, [42]);
    expect(record && kafkaItemIdentifier(record)).toBe("order-events-3-42");
  });

  it("handles every record of a partition in offset order, even when delivered out of order", async () => {
    const records = partitionRecords(0, [12, 10, 13, 11]);
    const seen: number[] = [];
    const response = await processKafkaBatch(mskEventFor(records), async (record) => {
      seen.push(record.offset);
    });
    expect(seen).toEqual([10, 11, 12, 13]);
    expect(response.batchItemFailures).toEqual([]);
  });

  it("stops a partition at its first failure: earlier records done, the failed one and every later one reported and not attempted", async () => {
    const records = partitionRecords(0, [0, 1, 2, 3, 4]);
    const attempted: number[] = [];
    const failures: { offset: number; error: unknown }[] = [];
    const response = await processKafkaBatch(
      mskEventFor(records),
      async (record) => {
        attempted.push(record.offset);
        if (record.offset === 2) throw new Error("boom on 2");
      },
      (record, error) => failures.push({ offset: record.offset, error }),
    );
    expect(attempted).toEqual([0, 1, 2]);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(ids(records.slice(2)));
    expect(failures).toHaveLength(1);
    expect(failures[0]?.offset).toBe(2);
    expect(failures[0]?.error).toEqual(new Error("boom on 2"));
  });

  it("a failure on the first record reports the whole partition", async () => {
    const records = partitionRecords(1, [7, 8, 9]);
    const response = await processKafkaBatch(mskEventFor(records), async () => {
      throw new Error("down");
    });
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(ids(records));
  });

  it("a failing partition does not stop the others", async () => {
    const p0 = partitionRecords(0, [0, 1, 2]);
    const p1 = partitionRecords(1, [5, 6, 7]);
    const p2 = partitionRecords(2, [3]);
    const attempted: string[] = [];
    const response = await processKafkaBatch(mskEventFor([...p0, ...p1, ...p2]), async (record) => {
      attempted.push(kafkaItemIdentifier(record));
      if (record.partition === 1 && record.offset === 6) throw new Error("p1 fails at 6");
    });
    expect(attempted).toEqual(
      expect.arrayContaining([...ids(p0), ...ids(p2), ...ids(p1.slice(0, 2))]),
    );
    expect(attempted).not.toContain(kafkaItemIdentifier(p1[2] as MskEventRecord));
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(ids(p1.slice(1)));
  });

  it("runs partitions concurrently but each partition strictly one record at a time", async () => {
    const p0 = partitionRecords(0, [0, 1, 2, 3]);
    const p1 = partitionRecords(1, [0, 1, 2, 3]);
    const active = new Map<number, number>();
    let maxPerPartition = 0;
    let maxOverall = 0;
    let overall = 0;
    await processKafkaBatch(mskEventFor([...p0, ...p1]), async (record) => {
      const now = (active.get(record.partition) ?? 0) + 1;
      active.set(record.partition, now);
      overall++;
      maxPerPartition = Math.max(maxPerPartition, now);
      maxOverall = Math.max(maxOverall, overall);
      await new Promise((r) => setTimeout(r, 5));
      active.set(record.partition, now - 1);
      overall--;
    });
    expect(maxPerPartition).toBe(1);
    expect(maxOverall).toBe(2);
  });

  it("an empty event succeeds with no failures", async () => {
    expect(await processKafkaBatch({ records: {} }, async () => undefined)).toEqual({
      batchItemFailures: [],
    });
  });
});
