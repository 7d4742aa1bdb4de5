import { describe, expect, it } from "vitest";
import { topicSpecs } from "../../../events/topics.ts";
import {
  concurrencyFor,
  defineFunction,
  fastLaneConcurrency,
  fastLaneDefaults,
  logConcurrency,
  logDefaults,
  scheduleConcurrency,
  sqsMaximumConcurrency,
} from "../../../functions/kit/declarations.ts";
import { functionDeclarations } from "../../../functions/registry.ts";
import { pollersOfQueue } from "../../../localstack/host/host.ts";

const fastLane = (
  commands: string[],
  concurrency?: Parameters<typeof defineFunction>[0]["concurrency"],
) =>
  defineFunction({
    name: "some-commands",
    description: "test",
    trigger: { kind: "fast-lane", commands: commands as never, ...fastLaneDefaults },
    timeoutSeconds: 30,
    memoryMb: 512,
    resources: [],
    ...(concurrency === undefined ? {} : { concurrency }),
  });

describe("concurrency limits per kind of function", () => {
  it("fast-lane handlers, sweepers and log consumers get their kind's limits by default", () => {
    expect(fastLane(["PlaceOrderRequested"]).concurrency).toEqual(fastLaneConcurrency);
    expect(concurrencyFor({ kind: "schedule", everyMinutes: 1, localEverySeconds: 1 })).toEqual(
      scheduleConcurrency,
    );
    expect(
      concurrencyFor({
        kind: "log",
        topics: ["order-events", "payment-events"],
        consumerGroup: "g",
        ...logDefaults,
      }),
    ).toEqual({
      reserved: topicSpecs["order-events"].partitions + topicSpecs["payment-events"].partitions,
      localMin: 1,
      localMax: 2,
    });
    expect(logConcurrency(["order-events"]).reserved).toBe(topicSpecs["order-events"].partitions);
  });

  it("shares a fast-lane function's reservation among its queues, at least 2 each", () => {
    expect(sqsMaximumConcurrency(fastLane(["PlaceOrderRequested"]))).toBe(20);
    expect(
      sqsMaximumConcurrency(
        fastLane(["PlaceOrderRequested", "CancelOrderRequested", "CompleteOrderRequested"]),
      ),
    ).toBe(6);
    expect(
      sqsMaximumConcurrency(
        fastLane(["PlaceOrderRequested", "CancelOrderRequested"], {
          reserved: 5,
          localMin: 0,
          localMax: 2,
        }),
      ),
    ).toBe(2);
  });

  it("refuses limits that cannot hold, naming the function and the field", () => {
    expect(() =>
      fastLane(["PlaceOrderRequested"], { reserved: 0, localMin: 0, localMax: 1 }),
    ).toThrow(/some-commands: concurrency.reserved must be 1-1000, got 0/);
    expect(() =>
      fastLane(["PlaceOrderRequested"], { reserved: 4, localMin: 0, localMax: 5 }),
    ).toThrow(/some-commands: concurrency.localMax must be 1-4 \(reserved\), got 5/);
    expect(() =>
      fastLane(["PlaceOrderRequested"], { reserved: 4, localMin: 3, localMax: 2 }),
    ).toThrow(/some-commands: concurrency.localMin must be 0-2 \(localMax\), got 3/);
    // Three queues need 2 each within the reservation and a local environment each.
    expect(() =>
      fastLane(["PlaceOrderRequested", "CancelOrderRequested", "CompleteOrderRequested"], {
        reserved: 5,
        localMin: 1,
        localMax: 3,
      }),
    ).toThrow(/3 fast-lane queues need concurrency.reserved >= 6 and localMax >= 3/);
  });

  it("every declared function's limits are consistent", () => {
    for (const declaration of functionDeclarations) {
      const { reserved, localMin, localMax } = declaration.concurrency;
      expect(localMin, declaration.name).toBeLessThanOrEqual(localMax);
      expect(localMax, declaration.name).toBeLessThanOrEqual(reserved);
    }
  });
});

describe("the local host's SQS pollers", () => {
  it("share a function's environments among its queues, one poller each at least", () => {
    const share = (environments: number, queues: number) =>
      Array.from({ length: queues }, (_, i) => pollersOfQueue(environments, queues, i));
    expect(share(4, 1)).toEqual([4]);
    expect(share(4, 2)).toEqual([2, 2]);
    expect(share(4, 3)).toEqual([2, 1, 1]);
    expect(share(4, 4)).toEqual([1, 1, 1, 1]);
    expect(share(1, 1)).toEqual([1]);
    // Never more pollers than environments when there are at least as many environments as queues.
    for (let environments = 1; environments <= 8; environments++) {
      for (let queues = 1; queues <= environments; queues++) {
        expect(share(environments, queues).reduce((a, b) => a + b, 0)).toBe(environments);
      }
    }
  });
});
