import { describe, expect, it } from "vitest";
import { eventsFromJson } from "../../../bin/cli/commands/publish.ts";
import { type DeadLetter, matches, parseFilter } from "../../../bin/cli/dlq/view.ts";
import { NotFoundError, UsageError } from "../../../bin/cli/errors.ts";
import { resolveGroup } from "../../../bin/cli/log/groups.ts";
import { replayName, replayProgress } from "../../../bin/cli/replay/archive.ts";
import { parseOffsets, targetOffsets } from "../../../bin/cli/replay/log.ts";
import { describeTargetChoice } from "../../../bin/cli/target/open.ts";
import { OUTPUT_KEYS, requiredOutputKeys } from "../../../bin/cli/target/outputs.ts";
import { queueRefFromUrl } from "../../../bin/cli/target/target.ts";
import { createEvent } from "../../../events/create.ts";
import { topicsOfAggregate } from "../../../functions/kit/log-query/aggregate-state.ts";
import { causationDepths } from "../../../functions/kit/log-query/flows.ts";
import { partitionLag } from "../../../functions/kit/log-query/lag.ts";

describe("targets", () => {
  it("is the demo session unless AWS is asked for", () => {
    expect(describeTargetChoice({})).toEqual({ kind: "local", name: "demo" });
    expect(describeTargetChoice({ session: "t1a2b3c" })).toEqual({
      kind: "local",
      name: "t1a2b3c",
    });
    expect(describeTargetChoice({ stage: "prod" })).toEqual({ kind: "aws", name: "Duplex-prod" });
    expect(describeTargetChoice({ stack: "My-Duplex", stage: "dev" })).toEqual({
      kind: "aws",
      name: "My-Duplex",
    });
  });

  it("refuses a local session and a stack together", () => {
    expect(() => describeTargetChoice({ session: "demo", stage: "dev" })).toThrow(UsageError);
    expect(() => describeTargetChoice({ stage: "Prod!" })).toThrow(/not a stage name/);
  });

  it("derives queue ARNs from URLs", () => {
    expect(
      queueRefFromUrl(
        "https://sqs.eu-west-1.amazonaws.com/111122223333/duplex-prod-x-dlq",
        "eu-west-1",
      ),
    ).toEqual({
      name: "duplex-prod-x-dlq",
      url: "https://sqs.eu-west-1.amazonaws.com/111122223333/duplex-prod-x-dlq",
      arn: "arn:aws:sqs:eu-west-1:111122223333:duplex-prod-x-dlq",
    });
  });

  it("names every stack output the CLI reads in one contract", () => {
    expect(OUTPUT_KEYS.table("read-models")).toBe("TableReadModelsName");
    expect(OUTPUT_KEYS.functionName("order-summary-projector")).toBe(
      "FunctionOrderSummaryProjectorName",
    );
    const keys = requiredOutputKeys({
      commands: ["ProcessPaymentRequested"],
      tables: ["sagas"],
      functions: ["order-saga"],
    });
    expect(keys).toEqual([
      "EventBusName",
      "EventBusArn",
      "ArchiveName",
      "ArchiveArn",
      "KafkaBootstrapBrokers",
      "TableSagasName",
      "ProcessPaymentRequestedQueueUrl",
      "ProcessPaymentRequestedDeadLetterQueueUrl",
      "ProcessPaymentRequestedDeliveryDeadLetterQueueUrl",
      "ProcessPaymentRequestedRuleArn",
      "FunctionOrderSagaName",
    ]);
    for (const key of keys) expect(key).toMatch(/^[A-Za-z0-9]+$/);
  });
});

describe("consumer groups", () => {
  it("resolves a group by name (with or without the session prefix) or by function and topic", () => {
    expect(resolveGroup("duplex-order-saga.payment-events", undefined, "").functionName).toBe(
      "order-saga",
    );
    expect(resolveGroup("demo.duplex-order-saga.payment-events", undefined, "demo.").topic).toBe(
      "payment-events",
    );
    expect(resolveGroup("order-summary-projector", "order-events", "").groupId).toBe(
      "duplex-order-summary-projector.order-events",
    );
    expect(resolveGroup("sales-analytics-projector", undefined, "").topic).toBe("order-events");
  });

  it("refuses unknown groups and ambiguous functions, saying what to type", () => {
    expect(() => resolveGroup("nope", undefined, "")).toThrow(NotFoundError);
    expect(() => resolveGroup("order-saga", undefined, "")).toThrow(/reads \d+ topics: say which/);
    expect(() => resolveGroup("order-saga", "customer-events", "")).toThrow(/does not read topic/);
  });

  it("computes lag as an event source mapping would start", () => {
    const offsets = { partition: 0, low: "10", high: "50" };
    expect(partitionLag(offsets, "45", "TRIM_HORIZON")).toBe(5);
    expect(partitionLag(offsets, null, "TRIM_HORIZON")).toBe(40);
    expect(partitionLag(offsets, null, "LATEST")).toBe(0);
  });
});

describe("log replay", () => {
  it("reads offsets for every partition or per partition", () => {
    expect(parseOffsets("120")).toBe(120n);
    expect(parseOffsets("0:120, 3:7")).toEqual(
      new Map([
        [0, 120n],
        [3, 7n],
      ]),
    );
    expect(() => parseOffsets("0=120")).toThrow(/not an offset list/);
  });

  it("clamps targets to what the log holds and refuses unknown partitions", () => {
    const partitions = [
      { partition: 0, low: "5", high: "20" },
      { partition: 1, low: "0", high: "3" },
    ];
    expect(targetOffsets(partitions, { kind: "offsets", offsets: 100n }, undefined)).toEqual(
      new Map([
        [0, 20n],
        [1, 3n],
      ]),
    );
    expect(targetOffsets(partitions, { kind: "earliest" }, undefined)).toEqual(
      new Map([
        [0, 5n],
        [1, 0n],
      ]),
    );
    expect(
      targetOffsets(
        partitions,
        { kind: "time", at: new Date() },
        new Map([
          [0, "7"],
          [1, "3"],
        ]),
      ),
    ).toEqual(
      new Map([
        [0, 7n],
        [1, 3n],
      ]),
    );
    expect(() =>
      targetOffsets(partitions, { kind: "offsets", offsets: new Map([[4, 1n]]) }, undefined),
    ).toThrow(/partition 4 does not exist/);
  });
});

describe("archive replay", () => {
  it("names replays validly", () => {
    expect(replayName(undefined, new Date("2026-11-23T10:15:00Z"))).toMatch(
      /^duplex-20261123101500-[0-9a-f]{1,4}$/,
    );
    expect(() => replayName("bad name!", new Date())).toThrow(UsageError);
  });

  it("measures progress through the window", () => {
    const window = { EventStartTime: new Date(0), EventEndTime: new Date(1000) };
    expect(
      replayProgress({ ...window, State: "RUNNING", EventLastReplayedTime: new Date(250) }),
    ).toBe(0.25);
    expect(replayProgress({ ...window, State: "COMPLETED" })).toBe(1);
    expect(replayProgress({ ...window, State: "STARTING" })).toBe(0);
  });
});

describe("dead-letter filters", () => {
  const letter: DeadLetter = {
    id: "m-1",
    destination: "ProcessPaymentRequested",
    eventType: "ProcessPaymentRequested",
    eventId: "e-1",
    aggregate: "Payment o-7",
    correlationId: "c-1",
    since: "2026-11-23T10:00:00Z",
    reason: "boom",
    redriveTo: "q",
    body: {},
  };
  it("match by type, by any id, and by time", () => {
    expect(matches(letter, parseFilter({}))).toBe(true);
    expect(matches(letter, parseFilter({ type: "ProcessPaymentRequested,Other" }))).toBe(true);
    expect(matches(letter, parseFilter({ type: "Other" }))).toBe(false);
    expect(matches(letter, parseFilter({ id: "o-7" }))).toBe(true);
    expect(matches(letter, parseFilter({ id: "e-1" }))).toBe(true);
    expect(matches(letter, parseFilter({ id: "x" }))).toBe(false);
    expect(matches(letter, parseFilter({ since: new Date("2026-11-23T09:00:00Z") }))).toBe(true);
    expect(matches(letter, parseFilter({ since: new Date("2026-11-23T11:00:00Z") }))).toBe(false);
  });
});

describe("publish input", () => {
  it("takes the short form and full envelopes, and refuses what the catalog refuses", () => {
    const [short] = eventsFromJson(
      JSON.stringify({
        eventType: "RestockProductRequested",
        data: { productId: "p-1", name: "Kettle", unitPriceCents: 1999, quantity: 3 },
      }),
      "stdin",
    );
    expect(short?.eventType).toBe("RestockProductRequested");
    const full = createEvent("RegisterCustomerRequested", {
      customerId: "c-1",
      name: "Ada",
      email: "ada@example.com",
    });
    expect(eventsFromJson(JSON.stringify([full]), "f.json")[0]?.eventId).toBe(full.eventId);
    expect(() => eventsFromJson("{", "stdin")).toThrow(/stdin is not JSON/);
    expect(() => eventsFromJson(JSON.stringify({ eventType: "Nope", data: {} }), "stdin")).toThrow(
      /unknown eventType 'Nope'/,
    );
    expect(() =>
      eventsFromJson(
        JSON.stringify({ eventType: "RestockProductRequested", data: { productId: "p" } }),
        "stdin",
      ),
    ).toThrow(/data.name/);
  });
});

describe("trace and state", () => {
  it("nests events under the event that caused them", () => {
    const command = createEvent("RegisterCustomerRequested", {
      customerId: "c-1",
      name: "Ada",
      email: "ada@example.com",
    });
    const fact = createEvent(
      "CustomerRegistered",
      { customerId: "c-1", name: "Ada", email: "ada@example.com" },
      { causedBy: command },
    );
    const at = { topic: "t", partition: 0, offset: "0", loggedAt: "" };
    const depths = causationDepths([
      { ...at, event: command },
      { ...at, event: fact },
    ] as never);
    expect(depths.get(command.eventId)).toBe(0);
    expect(depths.get(fact.eventId)).toBe(1);
  });

  it("folds an aggregate from the fact topics of its domain", () => {
    expect(topicsOfAggregate("Product")).toEqual(["inventory-events"]);
    expect(topicsOfAggregate("Order")).toEqual(["order-events"]);
  });
});
