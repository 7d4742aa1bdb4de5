import { describe, expect, it } from "vitest";
import { foldAggregate } from "../../../functions/domain/aggregates.ts";
import * as deliveries from "../../../functions/domain/deliveries.ts";
import { draft } from "../../../functions/domain/drafts.ts";
import { deciderSpec, toEvent } from "./decider-spec.ts";

const spec = deciderSpec({
  stateFor: (history, command) => foldAggregate("Delivery", command.data.orderId, history),
  decide: deliveries.decide,
});

const berlin = { line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" };
const schedule = (address = berlin) =>
  draft("ScheduleDeliveryRequested", {
    orderId: "o-1",
    address,
    items: [{ productId: "p-1", quantity: 2 }],
  });
const scheduled = (carrier: string, estimatedDeliveryDate = "2026-11-26") =>
  draft("DeliveryScheduled", {
    orderId: "o-1",
    deliveryId: "dlv-o-1",
    carrier,
    estimatedDeliveryDate,
  });

describe("deliveries: ScheduleDeliveryRequested", () => {
  it("books a carrier for three days later", () => {
    spec
      .given([])
      .when(schedule(), undefined)
      .then([scheduled("DHL")]);
  });

  it("computes the date in UTC across a month end", () => {
    spec
      .given([])
      .when(schedule(), undefined, new Date("2026-11-29T23:30:00.000Z"))
      .then([scheduled("DHL", "2026-12-02")]);
  });

  it.each([
    ["FR", "DPD"],
    ["NL", "DPD"],
    ["ES", "GLS"],
    ["GB", "Royal Mail"],
    ["US", "UPS"],
    ["PL", "DHL"],
  ])("chooses the carrier by country: %s → %s", (country, carrier) => {
    spec
      .given([])
      .when(schedule({ ...berlin, country }), undefined)
      .then([scheduled(carrier)]);
  });

  it.each([
    ["a country no carrier serves", { ...berlin, country: "XX" }, "no carrier serves XX 10115"],
    [
      "the unserviceable postal code",
      { ...berlin, postalCode: "00000" },
      "no carrier serves DE 00000",
    ],
  ])("fails for %s", (_, address, reason) => {
    spec
      .given([])
      .when(schedule(address), undefined)
      .then([
        draft("DeliverySchedulingFailed", {
          orderId: "o-1",
          code: "ADDRESS_UNSERVICEABLE",
          reason: `${reason} (order o-1)`,
        }),
      ]);
  });

  it("scheduling twice yields nothing, even after a failure", () => {
    spec
      .given([scheduled("DHL")])
      .when(schedule(), undefined)
      .thenNothing();
    spec
      .given([
        draft("DeliverySchedulingFailed", {
          orderId: "o-1",
          code: "ADDRESS_UNSERVICEABLE",
          reason: "no carrier",
        }),
      ])
      .when(schedule(), undefined)
      .thenNothing();
  });

  it("keeps the booking in the state", () => {
    expect(foldAggregate("Delivery", "o-1", [toEvent(scheduled("DHL"))])).toEqual({
      status: "scheduled",
      deliveryId: "dlv-o-1",
      carrier: "DHL",
      estimatedDeliveryDate: "2026-11-26",
    });
  });
});
