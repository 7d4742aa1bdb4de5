import { describe, expect, it } from "vitest";
import { foldAggregate } from "../../../functions/domain/aggregates.ts";
import type { EventBody, EventDraft } from "../../../functions/domain/drafts.ts";
import { draft } from "../../../functions/domain/drafts.ts";
import * as inventory from "../../../functions/domain/inventory.ts";
import { deciderSpec, input, NOW, toEvent } from "./decider-spec.ts";

/** The deciding state a handler would load: the command's reservation and named products. */
function stateFor(
  history: readonly EventBody[],
  command: inventory.InventoryCommand,
): inventory.InventoryState {
  const { reservationId, productIds } = inventory.inventoryLookups(command);
  const products: Record<string, inventory.ProductState | undefined> = {};
  for (const id of productIds) {
    const touched = history.some((e) => inventory.productIdsTouchedBy(e).includes(id));
    products[id] = touched ? foldAggregate("Product", id, history) : undefined;
  }
  return {
    reservation:
      reservationId === undefined
        ? inventory.initialReservationState
        : foldAggregate("Reservation", reservationId, history),
    products,
  };
}

const spec = deciderSpec({ stateFor, decide: inventory.decide });

const restocked = (productId: string, quantity: number, unitPriceCents = 1250) =>
  draft("ProductRestocked", { productId, name: `Product ${productId}`, unitPriceCents, quantity });
const reserve = (items: { productId: string; quantity: number }[], orderId = "o-1") =>
  draft("ReserveInventoryRequested", { orderId, items, holdSeconds: 600 });
const reserved = (items: { productId: string; quantity: number }[], orderId = "o-1") =>
  draft("InventoryReserved", { orderId, items, expiresAt: "2026-11-23T10:10:00.000Z" });
const failed = (
  code: "INSUFFICIENT_STOCK" | "UNKNOWN_PRODUCT" | "INVALID_QUANTITY",
  reason: string,
  shortages: { productId: string; requested: number; available: number }[] = [],
) => draft("InventoryReservationFailed", { orderId: "o-1", code, reason, shortages });
const release = draft("ReleaseInventoryRequested", { orderId: "o-1", reason: "payment failed" });
const released = (items: { productId: string; quantity: number }[]) =>
  draft("InventoryReleased", { orderId: "o-1", items, reason: "payment failed" });
const commit = draft("CommitInventoryRequested", { orderId: "o-1", deliveryId: "dlv-o-1" });
const committed = (items: { productId: string; quantity: number }[]) =>
  draft("InventoryCommitted", { orderId: "o-1", items, deliveryId: "dlv-o-1" });
const rejected = (
  command: "ReleaseInventoryRequested" | "CommitInventoryRequested",
  code: "NO_RESERVATION" | "ALREADY_RELEASED" | "ALREADY_COMMITTED" | "RESERVATION_EXPIRED",
  reason: string,
) => draft("InventoryCommandRejected", { orderId: "o-1", command, code, reason });

const kettles = [{ productId: "p-1", quantity: 2 }];

describe("inventory: RestockProductRequested", () => {
  it("restocks a product with its name and price", () => {
    spec
      .given([])
      .when(
        draft("RestockProductRequested", {
          productId: "p-1",
          name: "Kettle",
          unitPriceCents: 1250,
          quantity: 10,
        }),
        undefined,
      )
      .then([
        draft("ProductRestocked", {
          productId: "p-1",
          name: "Kettle",
          unitPriceCents: 1250,
          quantity: 10,
        }),
      ]);
  });

  it("adds to what is available and takes the latest name and price", () => {
    const history = [restocked("p-1", 3), restocked("p-1", 4, 1400)].map((d) => toEvent(d));
    expect(foldAggregate("Product", "p-1", history)).toEqual({
      exists: true,
      name: "Product p-1",
      unitPriceCents: 1400,
      available: 7,
      reserved: 0,
      shipped: 0,
    });
  });
});

describe("inventory: ReserveInventoryRequested", () => {
  it("holds stock until now + holdSeconds", () => {
    spec
      .given([restocked("p-1", 5)])
      .when(reserve(kettles), undefined)
      .then([reserved(kettles)]);
  });

  it("takes the default hold of 600 seconds when the command leaves it out", () => {
    spec
      .given([restocked("p-1", 5)])
      .when(input("ReserveInventoryRequested", { orderId: "o-1", items: kettles }), undefined)
      .then([reserved(kettles)]);
  });

  it("reserves exactly what is available", () => {
    spec
      .given([restocked("p-1", 2)])
      .when(reserve(kettles), undefined)
      .then([reserved(kettles)]);
  });

  it("cannot reserve more than available stock", () => {
    spec
      .given([restocked("p-1", 1)])
      .when(reserve(kettles), undefined)
      .then([
        failed("INSUFFICIENT_STOCK", "order o-1: p-1: 2 requested, 1 available", [
          { productId: "p-1", requested: 2, available: 1 },
        ]),
      ]);
  });

  it("sums the lines for a product before checking stock", () => {
    spec
      .given([restocked("p-1", 3), restocked("p-2", 9)])
      .when(
        reserve([
          { productId: "p-1", quantity: 2 },
          { productId: "p-2", quantity: 1 },
          { productId: "p-1", quantity: 2 },
        ]),
        undefined,
      )
      .then([
        failed("INSUFFICIENT_STOCK", "order o-1: p-1: 4 requested, 3 available", [
          { productId: "p-1", requested: 4, available: 3 },
        ]),
      ]);
  });

  it("merges lines for a product in what it holds", () => {
    spec
      .given([restocked("p-1", 4), restocked("p-2", 1)])
      .when(
        reserve([
          { productId: "p-1", quantity: 1 },
          { productId: "p-2", quantity: 1 },
          { productId: "p-1", quantity: 3 },
        ]),
        undefined,
      )
      .then([
        reserved([
          { productId: "p-1", quantity: 4 },
          { productId: "p-2", quantity: 1 },
        ]),
      ]);
  });

  it("counts what other orders hold as unavailable", () => {
    spec
      .given([restocked("p-1", 3), reserved(kettles, "o-0")])
      .when(reserve(kettles), undefined)
      .then([
        failed("INSUFFICIENT_STOCK", "order o-1: p-1: 2 requested, 1 available", [
          { productId: "p-1", requested: 2, available: 1 },
        ]),
      ]);
  });

  it("counts what other orders released as available again", () => {
    spec
      .given([
        restocked("p-1", 2),
        reserved(kettles, "o-0"),
        draft("InventoryReleased", { orderId: "o-0", items: kettles, reason: "cancelled" }),
      ])
      .when(reserve(kettles), undefined)
      .then([reserved(kettles)]);
  });

  it("lists every short product", () => {
    spec
      .given([restocked("p-1", 1), restocked("p-2", 1)])
      .when(
        reserve([
          { productId: "p-1", quantity: 2 },
          { productId: "p-2", quantity: 5 },
        ]),
        undefined,
      )
      .then([
        failed(
          "INSUFFICIENT_STOCK",
          "order o-1: p-1: 2 requested, 1 available; p-2: 5 requested, 1 available",
          [
            { productId: "p-1", requested: 2, available: 1 },
            { productId: "p-2", requested: 5, available: 1 },
          ],
        ),
      ]);
  });

  it("rejects unknown products, naming them", () => {
    spec
      .given([restocked("p-1", 5)])
      .when(
        reserve([
          { productId: "p-1", quantity: 1 },
          { productId: "p-9", quantity: 1 },
        ]),
        undefined,
      )
      .then([failed("UNKNOWN_PRODUCT", "order o-1: unknown products: p-9")]);
  });

  it("rejects zero and negative quantities first", () => {
    spec
      .given([restocked("p-1", 5)])
      .when(
        reserve([
          { productId: "p-9", quantity: 1 },
          { productId: "p-1", quantity: -1 },
        ]),
        undefined,
      )
      .then([failed("INVALID_QUANTITY", "order o-1: quantities must be positive: p-1 (-1)")]);
  });

  it.each<[string, EventDraft[]]>([
    ["held", [restocked("p-1", 5), reserved(kettles)]],
    ["released", [restocked("p-1", 5), reserved(kettles), released(kettles)]],
    ["committed", [restocked("p-1", 5), reserved(kettles), committed(kettles)]],
    ["failed", [failed("UNKNOWN_PRODUCT", "p-1")]],
  ])("a second reservation for an order that is %s yields nothing", (_, history) => {
    spec.given(history).when(reserve(kettles), undefined).thenNothing();
  });
});

describe("inventory: ReleaseInventoryRequested", () => {
  it("gives held stock back", () => {
    spec
      .given([restocked("p-1", 5), reserved(kettles)])
      .when(release, undefined)
      .then([released(kettles)]);
  });

  it("releases an expired hold too", () => {
    spec
      .given([restocked("p-1", 5), reserved(kettles)])
      .when(release, undefined, new Date("2026-11-24T00:00:00.000Z"))
      .then([released(kettles)]);
  });

  it.each<
    [string, EventDraft[], "NO_RESERVATION" | "ALREADY_RELEASED" | "ALREADY_COMMITTED", string]
  >([
    ["no reservation", [], "NO_RESERVATION", "nothing is held for order o-1"],
    [
      "a failed reservation",
      [failed("INSUFFICIENT_STOCK", "short")],
      "NO_RESERVATION",
      "the reservation for order o-1 failed; nothing is held",
    ],
    [
      "a released reservation",
      [restocked("p-1", 5), reserved(kettles), released(kettles)],
      "ALREADY_RELEASED",
      "the stock held for order o-1 is already released",
    ],
    [
      "a committed reservation",
      [restocked("p-1", 5), reserved(kettles), committed(kettles)],
      "ALREADY_COMMITTED",
      "the stock held for order o-1 is already shipped",
    ],
  ])("refuses to release %s", (_, history, code, reason) => {
    spec
      .given(history)
      .when(release, undefined)
      .then([rejected("ReleaseInventoryRequested", code, reason)]);
  });
});

describe("inventory: CommitInventoryRequested", () => {
  it("ships held stock for a delivery", () => {
    spec
      .given([restocked("p-1", 5), reserved(kettles)])
      .when(commit, undefined)
      .then([committed(kettles)]);
  });

  it("commits up to the very moment of expiry", () => {
    spec
      .given([restocked("p-1", 5), reserved(kettles)])
      .when(commit, undefined, new Date("2026-11-23T10:10:00.000Z"))
      .then([committed(kettles)]);
  });

  it("a reservation expires: no commit after expiresAt", () => {
    spec
      .given([restocked("p-1", 5), reserved(kettles)])
      .when(commit, undefined, new Date("2026-11-23T10:10:00.001Z"))
      .then([
        rejected(
          "CommitInventoryRequested",
          "RESERVATION_EXPIRED",
          "the reservation for order o-1 expired at 2026-11-23T10:10:00.000Z",
        ),
      ]);
  });

  it("committing twice yields nothing the second time", () => {
    spec
      .given([restocked("p-1", 5), reserved(kettles), committed(kettles)])
      .when(commit, undefined)
      .thenNothing();
  });

  it.each<[string, EventDraft[], "NO_RESERVATION" | "ALREADY_RELEASED"]>([
    ["no reservation", [], "NO_RESERVATION"],
    ["a failed reservation", [failed("INSUFFICIENT_STOCK", "short")], "NO_RESERVATION"],
    [
      "a released reservation",
      [restocked("p-1", 5), reserved(kettles), released(kettles)],
      "ALREADY_RELEASED",
    ],
  ])("refuses to commit %s", (_, history, code) => {
    spec
      .given(history)
      .when(commit, undefined)
      .then([
        rejected(
          "CommitInventoryRequested",
          code,
          expect.stringContaining("order o-1") as unknown as string,
        ),
      ]);
  });
});

describe("inventory: product buckets", () => {
  const history = [
    restocked("p-1", 10),
    restocked("p-2", 4),
    reserved([
      { productId: "p-1", quantity: 3 },
      { productId: "p-2", quantity: 1 },
    ]),
    reserved([{ productId: "p-1", quantity: 2 }], "o-2"),
    committed([
      { productId: "p-1", quantity: 3 },
      { productId: "p-2", quantity: 1 },
    ]),
    draft("InventoryReleased", {
      orderId: "o-2",
      items: [{ productId: "p-1", quantity: 2 }],
      reason: "timeout",
    }),
  ].map((d) => toEvent(d));

  it("moves units between available, reserved and shipped", () => {
    expect(foldAggregate("Product", "p-1", history)).toMatchObject({
      available: 7,
      reserved: 0,
      shipped: 3,
    });
    expect(foldAggregate("Product", "p-2", history)).toMatchObject({
      available: 3,
      reserved: 0,
      shipped: 1,
    });
  });

  it("ignores facts about other products", () => {
    expect(foldAggregate("Product", "p-3", history)).toEqual(inventory.initialProductState);
  });

  it("evolve applies a decision to the deciding state", () => {
    const before = stateFor(history, toEvent(reserve([{ productId: "p-1", quantity: 7 }], "o-3")));
    const decided = inventory.decide(
      before,
      toEvent(reserve([{ productId: "p-1", quantity: 7 }], "o-3")),
      undefined,
      NOW,
    );
    const after = decided
      .map((d) => toEvent(d) as inventory.InventoryFact)
      .reduce(inventory.evolve, before);
    expect(after.reservation).toMatchObject({ status: "held" });
    expect(after.products["p-1"]).toMatchObject({ available: 0, reserved: 7, shipped: 3 });
  });

  it("lists what the handler must load for each command", () => {
    expect(inventory.inventoryLookups(toEvent(reserve(kettles)))).toEqual({
      reservationId: "o-1",
      productIds: ["p-1"],
    });
    expect(inventory.inventoryLookups(toEvent(commit))).toEqual({
      reservationId: "o-1",
      productIds: [],
    });
    const restock = draft("RestockProductRequested", {
      productId: "p-4",
      name: "Teapot",
      unitPriceCents: 2000,
      quantity: 1,
    });
    expect(inventory.inventoryLookups(toEvent(restock))).toEqual({
      reservationId: undefined,
      productIds: ["p-4"],
    });
  });
});
