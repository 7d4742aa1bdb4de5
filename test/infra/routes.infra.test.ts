import { describe, expect, it } from "vitest";
import type { EventDefinition } from "../../events/define.ts";
import { allEventDefinitions } from "../../events/registry.ts";
import { topicsFor } from "../../events/topics.ts";
import type { FunctionDeclaration } from "../../functions/kit/declarations.ts";
import { consumerGroupFor } from "../../functions/kit/declarations.ts";
import { functionDeclarations } from "../../functions/registry.ts";
import {
  fastLaneCommands,
  fastLaneRoutes,
  logMappings,
  RoutingError,
  scheduleRoutes,
  topicProvisionerDeclaration,
} from "../../lib/routes.ts";

const events = allEventDefinitions();
const topics = topicsFor("aws");

function without(name: string): FunctionDeclaration[] {
  return functionDeclarations.filter((d) => d.name !== name);
}

describe("routes derived from the catalog and the declarations", () => {
  it("puts exactly the critical commands on the fast lane", () => {
    const critical = events.filter((e) => e.critical).map((e) => e.type);
    expect(fastLaneCommands(events)).toEqual(critical);
    expect(critical.every((type) => type.endsWith("Requested"))).toBe(true);
  });

  it("gives every fast-lane command exactly one handler", () => {
    const routes = fastLaneRoutes(events, functionDeclarations);
    expect(routes.map((r) => r.command)).toEqual(fastLaneCommands(events));
    for (const route of routes) {
      expect(route.trigger.kind).toBe("fast-lane");
      expect(route.trigger.commands).toContain(route.command);
    }
  });

  it("refuses a fast-lane command without a handler", () => {
    expect(() => fastLaneRoutes(events, without("payment-commands"))).toThrow(
      /ProcessPaymentRequested has no handler/,
    );
  });

  it("refuses a fast-lane command with two handlers", () => {
    const orderCommands = functionDeclarations.find((d) => d.name === "order-commands");
    const twin = { ...orderCommands, name: "order-commands-twin" } as FunctionDeclaration;
    expect(() => fastLaneRoutes(events, [...functionDeclarations, twin])).toThrow(
      /PlaceOrderRequested has 2 handlers \(order-commands, order-commands-twin\)/,
    );
  });

  it("refuses a handler for a command the catalog keeps off the fast lane", () => {
    const offLane = events.map((e) =>
      e.type === "PlaceOrderRequested" ? ({ ...e, lanes: ["log"] } as EventDefinition) : e,
    );
    expect(() => fastLaneRoutes(offLane, functionDeclarations)).toThrow(RoutingError);
  });

  it("maps every (function, topic) of the log triggers to its own consumer group", () => {
    const mappings = logMappings(functionDeclarations, topics);
    const expected = functionDeclarations.flatMap((d) =>
      d.trigger.kind === "log"
        ? d.trigger.topics.map((t) => `${d.name}:${t}:${consumerGroupFor(d.trigger as never, t)}`)
        : [],
    );
    expect(mappings.map((m) => `${m.handler.name}:${m.topic}:${m.consumerGroup}`)).toEqual(
      expected,
    );
    expect(new Set(mappings.map((m) => m.consumerGroup)).size).toBe(mappings.length);
  });

  it("refuses a log trigger on a topic the catalog does not have", () => {
    const saga = functionDeclarations.find((d) => d.name === "order-saga") as FunctionDeclaration;
    const bad = {
      ...saga,
      trigger: { ...saga.trigger, topics: ["order-events", "nope"] },
    } as unknown as FunctionDeclaration;
    expect(() => logMappings([bad], topics)).toThrow(
      /reads topic nope, which is not in the catalog/,
    );
  });

  it("refuses two mappings sharing a consumer group", () => {
    const saga = functionDeclarations.find((d) => d.name === "order-saga") as FunctionDeclaration;
    expect(() => logMappings([saga, { ...saga, name: "order-saga-copy" }], topics)).toThrow(
      /consumer group duplex-order-saga.order-events is used by/,
    );
  });

  it("finds the schedules and the one topic provisioner", () => {
    expect(
      scheduleRoutes(functionDeclarations)
        .map((r) => r.handler.name)
        .sort(),
    ).toEqual(
      functionDeclarations
        .filter((d) => d.trigger.kind === "schedule")
        .map((d) => d.name)
        .sort(),
    );
    expect(topicProvisionerDeclaration(functionDeclarations).name).toBe("topic-provisioner");
    expect(() => topicProvisionerDeclaration(without("topic-provisioner"))).toThrow(RoutingError);
  });
});
