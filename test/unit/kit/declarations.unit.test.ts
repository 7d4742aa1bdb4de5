import { describe, expect, expectTypeOf, it } from "vitest";
import { allEventDefinitions, topicsOf } from "../../../events/registry.ts";
import { topicSpecs } from "../../../events/topics.ts";
import type { CriticalCommandName } from "../../../events/types.ts";
import { declaration as customerCommands } from "../../../functions/customer-commands/function.ts";
import type { SagaCommandName } from "../../../functions/domain/order-saga.ts";
import type { declaration as inventoryCommands } from "../../../functions/inventory-commands/function.ts";
import type { CommandOf } from "../../../functions/kit/declarations.ts";
import { defineCommandFunction } from "../../../functions/kit/declarations.ts";
import { UnexpectedEventTypeError, unhandledCommand } from "../../../functions/kit/errors.ts";
import type { FastLaneHandlerOptions } from "../../../functions/kit/fast-lane-handler.ts";
import type { Runtime } from "../../../functions/kit/runtime.ts";
import type { declaration as orderCommands } from "../../../functions/order-commands/function.ts";
import { sagaCommands, sagaFacts } from "../../../functions/order-saga/function.ts";
import { functionDeclarations } from "../../../functions/registry.ts";
import { sampleEvent } from "../../support/samples.ts";

/**
 * The lists a declaration used to spell out by hand are derived from the catalog and the
 * declarations; command handlers are typed by the commands their declaration routes. The
 * `@ts-expect-error` lines below are checked by `npm run check` (tsc covers test/): if the
 * exhaustive switch stopped failing to compile, the directive itself would be an error.
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

describe("command handlers are typed by the commands their declaration routes", () => {
  it("hands each handler exactly the commands its trigger names", () => {
    expectTypeOf<CommandOf<typeof orderCommands>["eventType"]>().toEqualTypeOf<
      "PlaceOrderRequested" | "CancelOrderRequested" | "CompleteOrderRequested"
    >();
    expectTypeOf<
      CommandOf<typeof customerCommands>["eventType"]
    >().toEqualTypeOf<"RegisterCustomerRequested">();
    expectTypeOf<CommandOf<typeof inventoryCommands>["eventType"]>().toEqualTypeOf<
      | "RestockProductRequested"
      | "ReserveInventoryRequested"
      | "ReleaseInventoryRequested"
      | "CommitInventoryRequested"
    >();
    expectTypeOf<
      CommandOf<typeof orderCommands>["eventType"]
    >().not.toEqualTypeOf<CriticalCommandName>();
  });

  const declaration = defineCommandFunction({
    name: "typing-probe",
    description: "Routes two payment commands (type test only; never deployed).",
    commands: ["ProcessPaymentRequested", "RefundPaymentRequested"],
  });
  type Handle = FastLaneHandlerOptions<typeof declaration>["handle"];
  const delivery = { replayName: undefined, receiveCount: 1 };
  const runtime = {} as Runtime;

  it("a switch that misses a routed command does not compile; its default throws", async () => {
    const handled: string[] = [];
    const missesRefund: Handle = async (command) => {
      const { eventType } = command;
      switch (eventType) {
        case "ProcessPaymentRequested":
          handled.push(command.data.orderId);
          return;
        default:
          // @ts-expect-error RefundPaymentRequested is routed here but has no case
          return unhandledCommand(declaration, eventType, command);
      }
    };
    await missesRefund(sampleEvent("ProcessPaymentRequested"), delivery, runtime);
    const refund = sampleEvent("RefundPaymentRequested");
    await expect(missesRefund(refund, delivery, runtime)).rejects.toThrow(
      new UnexpectedEventTypeError("typing-probe", "RefundPaymentRequested", refund.eventId),
    );
    expect(handled).toEqual(["o-1"]);
  });

  it("a switch with every routed command compiles, also with a single command", () => {
    const complete: Handle = async (command) => {
      const { eventType } = command;
      switch (eventType) {
        case "ProcessPaymentRequested":
        case "RefundPaymentRequested":
          return;
        default:
          return unhandledCommand(declaration, eventType, command);
      }
    };
    const single: FastLaneHandlerOptions<typeof customerCommands>["handle"] = async (command) => {
      const { eventType } = command;
      switch (eventType) {
        case "RegisterCustomerRequested":
          return;
        default:
          return unhandledCommand(customerCommands, eventType, command);
      }
    };
    const singleMissing: FastLaneHandlerOptions<typeof customerCommands>["handle"] = async (
      command,
    ) => {
      const { eventType } = command;
      // @ts-expect-error the one routed command has no case
      return unhandledCommand(customerCommands, eventType, command);
    };
    expect([complete, single, singleMissing]).toHaveLength(3);
  });

  it("a command the declaration does not route is not a handler's input", () => {
    const handle: Handle = async () => {};
    // @ts-expect-error PlaceOrderRequested is not routed to this declaration
    void handle(sampleEvent("PlaceOrderRequested"), delivery, runtime);
  });
});
