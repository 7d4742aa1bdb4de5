import { describe, expect, expectTypeOf, it } from "vitest";
import { allEventDefinitions, topicsOf } from "../../../events/registry.ts";
import { topicSpecs } from "../../../events/topics.ts";
import type { SagaCommandName } from "../../../functions/domain/order-saga.ts";
import { sagaCommands, sagaFacts } from "../../../functions/order-saga/function.ts";
import { functionDeclarations } from "../../../functions/registry.ts";

/**
 * The lists a declaration used to spell out by hand are derived from the catalog and the
 * declarations.
 */

const byName = (name: string) => {
  const found = functionDeclarations.find((d) => d.name === name);
  if (found === undefined) throw new Error(`no declaration ${name}`);
  return found;
};

const grants = (name: string, access: "produce" | "consume") =>
  byName(name).resources.flatMap((need) =>
    need.kind === "log" && need.access === access ? need.topics : [],
  );

describe("derived routing lists", () => {
  it("the fast-lane ledger reads every topic a critical command goes to", () => {
    const ledger = byName("fast-lane-ledger");
    const commandTopics = allEventDefinitions()
      .filter((d) => d.critical)
      .map((d) => d.topic);
    expect(ledger.trigger.kind === "log" && [...ledger.trigger.topics].sort()).toEqual(
      [...new Set(commandTopics)].sort(),
    );
  });

  it("every log consumer may read exactly the topics that wake it, written once", () => {
    for (const declaration of functionDeclarations) {
      const consumed = grants(declaration.name, "consume");
      expect(consumed, declaration.name).toEqual(
        declaration.trigger.kind === "log" ? declaration.trigger.topics : [],
      );
    }
  });

  it("the saga reads the topics of its facts and writes those of its commands", () => {
    const saga = byName("order-saga");
    expect(saga.trigger.kind === "log" && saga.trigger.topics).toEqual([
      "order-events",
      "inventory-events",
      "payment-events",
      "delivery-events",
    ]);
    expect(grants("order-saga", "consume")).toEqual(topicsOf(sagaFacts));
    expect(grants("order-saga", "produce")).toEqual(topicsOf(sagaCommands));
    expect(grants("saga-sweeper", "produce")).toEqual(topicsOf(sagaCommands));
    expectTypeOf<(typeof sagaCommands)[number]>().toEqualTypeOf<SagaCommandName>();
  });

  it("command functions share settings and grants, producing to their domain's event topics", () => {
    const commandFunctions = functionDeclarations.filter((d) => d.trigger.kind === "fast-lane");
    expect(commandFunctions.map((d) => d.name).sort()).toEqual([
      "customer-commands",
      "delivery-commands",
      "inventory-commands",
      "order-commands",
      "payment-commands",
    ]);
    for (const declaration of commandFunctions) {
      expect(declaration.timeoutSeconds).toBe(30);
      expect(declaration.memoryMb).toBe(512);
      const produced = grants(declaration.name, "produce");
      const routed = declaration.trigger.kind === "fast-lane" ? declaration.trigger.commands : [];
      const domains = new Set(routed.map((c) => allEventDefinitions().find((d) => d.type === c)));
      const factTopics = allEventDefinitions()
        .filter((d) => !d.critical && [...domains].some((c) => c?.domain === d.domain))
        .map((d) => d.topic);
      expect(produced, declaration.name).toEqual([...new Set(factTopics)]);
      for (const topic of produced) expect(topicSpecs[topic].kind).toBe("events");
      expect(declaration.resources.filter((n) => n.kind === "table").map((n) => n.table)).toEqual([
        "aggregates",
        "idempotency",
        "command-ledger",
      ]);
    }
  });
});
