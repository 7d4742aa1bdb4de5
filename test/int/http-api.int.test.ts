/**
 * The HTTP command and query APIs on the real local stack, through the local host's HTTP server
 * (the same request events API Gateway sends), with a real HTTP client: 202 and the status URL,
 * idempotency (replay, 409), bad input as RFC 9457 problems naming the field, oversize bodies
 * (413), paginated queries with the read model's version and lag, and a log outage (the broker
 * stopped) answered 503 with Retry-After and nothing published.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAST_LANE_MAX_ENTRY_BYTES } from "../../events/limits.ts";
import { scanEvents } from "../../functions/kit/log-query/events.ts";
import { LocalSession } from "../../localstack/host/session.ts";
import { startBroker, stopBroker } from "../../localstack/stack/index.ts";
import { readState } from "../../localstack/stack/state.ts";
import { type Answer, call } from "../support/http-client.ts";

let session: LocalSession;
let api = "";
let customerId = "";
const products: string[] = [];

const order = (orderId: string, quantity: unknown = 1) => ({
  orderId,
  customerId,
  items: [{ productId: products[0], quantity }],
  shippingAddress: { line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" },
  paymentToken: "tok_visa",
});

const post = (type: string, body: unknown, key?: string) =>
  call(`${api}/commands/${type}`, {
    body,
    ...(key === undefined ? {} : { headers: { "idempotency-key": key } }),
  });

async function eventually(what: string, probe: () => Promise<Answer>, ok: (a: Answer) => boolean) {
  return session.waitFor(
    what,
    async () => {
      const answer = await probe();
      return ok(answer) ? answer : undefined;
    },
    90_000,
    500,
  );
}

/** Commands on the log for one aggregate (any correlation id). */
async function commandsOnLog(topic: string, aggregateId: string) {
  const { events } = await scanEvents(session, [topic], {
    accept: (r) => r.key?.toString("utf8") === aggregateId,
  });
  return events;
}

beforeAll(async () => {
  session = await LocalSession.start({ settings: { fastLaneDeadlineSeconds: 5 } });
  const url = session.host?.api?.url;
  if (url === undefined) throw new Error("the host serves no HTTP API");
  api = url;
  customerId = `c-${session.name}`;
  products.push(`p-${session.name}-kettle`, `p-${session.name}-mug`);
  const seeded = await Promise.all([
    post("RegisterCustomerRequested", { customerId, name: "Ada", email: "ada@example.com" }),
    ...products.map((productId, i) =>
      post("RestockProductRequested", {
        productId,
        name: `product ${i}`,
        unitPriceCents: 1000 + i * 250,
        quantity: 50,
      }),
    ),
  ]);
  expect(seeded.map((a) => a.status)).toEqual([202, 202, 202]);
  for (const p of products) {
    await eventually(
      `stock of ${p}`,
      () => call(`${api}/inventory/${p}`),
      (a) => a.status === 200,
    );
  }
  await eventually(
    "the customer",
    () => call(`${api}/customers/${customerId}/orders`),
    (a) => a.status === 200,
  );
}, 600_000);

afterAll(async () => {
  await session?.stop({ deleteTopics: true });
});

describe("command API", () => {
  it("accepts a command with 202, ids and a status URL; it flows to completion and the query API shows it", async () => {
    const orderId = `o-${session.name}-1`;
    const accepted = await post("PlaceOrderRequested", order(orderId), `key-${orderId}`);
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get("content-type")).toBe("application/json");
    const body = accepted.body as { commandId: string; correlationId: string; statusUrl: string };
    expect(body).toMatchObject({
      commandType: "PlaceOrderRequested",
      aggregateId: orderId,
      status: "accepted",
      statusUrl: `/commands/${body.commandId}`,
    });
    expect(body.correlationId).toBe(body.commandId);
    expect(accepted.headers.get("location")).toBe(body.statusUrl);

    const status = await eventually(
      "the command handled",
      () => call(`${api}${body.statusUrl}`),
      (a) => a.body.status === "handled",
    );
    expect(status.body).toMatchObject({
      eventId: body.commandId,
      commandType: "PlaceOrderRequested",
    });

    const summary = await eventually(
      "the order completed",
      () => call(`${api}/orders/${orderId}`),
      (a) => (a.body.order as { status?: string } | undefined)?.status === "COMPLETED",
    );
    const readModel = summary.body.readModel as { name: string; version: number; lag: number };
    expect(readModel).toMatchObject({ name: "order-summary", version: 1 });
    expect(typeof readModel.lag).toBe("number");
    const timeline = (summary.body.order as { timeline: { eventType: string }[] }).timeline;
    expect(timeline.map((t) => t.eventType)).toContain("OrderCompleted");

    const flow = await call(`${api}/flows/${body.correlationId}`);
    expect(flow.status).toBe(200);
    const types = (flow.body.items as { eventType: string; depth: number }[]).map(
      (e) => e.eventType,
    );
    expect(types[0]).toBe("PlaceOrderRequested");
    expect(types).toContain("OrderCompleted");

    const state = await call(`${api}/aggregates/Order/${orderId}`);
    expect(state.status).toBe(200);
    expect((state.body.state as { status: string }).status).toBe("completed");
    const earlier = new Date(Date.parse(String(accepted.body.acceptedAt)) - 60_000).toISOString();
    const before = await call(`${api}/aggregates/Order/${orderId}?at=${earlier}`);
    expect(before.status).toBe(404);
  }, 300_000);

  it("replays the first answer for the same key and body, and refuses the key with another body (409)", async () => {
    const orderId = `o-${session.name}-2`;
    const key = `key-${orderId}`;
    const first = await post("PlaceOrderRequested", order(orderId), key);
    expect(first.status).toBe(202);
    const again = await post("PlaceOrderRequested", order(orderId), key);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotency-replayed")).toBe("true");
    expect(first.headers.get("idempotency-replayed")).toBeNull();

    const other = await post("PlaceOrderRequested", order(orderId, 2), key);
    expect(other.status).toBe(409);
    expect(other.headers.get("content-type")).toBe("application/problem+json");
    expect(other.body).toMatchObject({
      type: "urn:duplex:problem:idempotency-key-reused",
      status: 409,
      code: "IDEMPOTENCY_KEY_REUSED",
    });

    const commands = await commandsOnLog("order-commands", orderId);
    expect(commands.map((e) => e.event.eventType)).toEqual(["PlaceOrderRequested"]);
    expect(commands[0]?.event.eventId).toBe(first.body.commandId);
  }, 180_000);

  it("answers bad input with a 400 problem naming the field, and publishes nothing", async () => {
    const orderId = `o-${session.name}-bad`;
    const wrongType = await post("PlaceOrderRequested", order(orderId, "two"));
    expect(wrongType.status).toBe(400);
    expect(wrongType.headers.get("content-type")).toBe("application/problem+json");
    expect(wrongType.body).toMatchObject({
      type: "urn:duplex:problem:schema-violation",
      title: "Invalid command",
      status: 400,
      code: "SCHEMA_VIOLATION",
      eventType: "PlaceOrderRequested",
      instance: "/commands/PlaceOrderRequested",
    });
    expect((wrongType.body.errors as { field: string }[]).map((e) => e.field)).toContain(
      "data.items[0].quantity",
    );

    const missing = await post("PlaceOrderRequested", { ...order(orderId), customerId: undefined });
    expect(missing.status).toBe(400);
    expect((missing.body.errors as { field: string }[]).map((e) => e.field)).toEqual([
      "data.customerId",
    ]);

    const malformed = await call(`${api}/commands/PlaceOrderRequested`, { raw: '{"orderId": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ code: "MALFORMED_JSON" });

    const unknown = await post("LaunchRocketRequested", {});
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: "UNKNOWN_COMMAND" });
    const fact = await post("OrderPlaced", {});
    expect(fact.status).toBe(404);
    expect(String(fact.body.detail)).toMatch(/is a fact, not a command/);

    const version = await call(`${api}/commands/PlaceOrderRequested?version=9`, {
      body: order(orderId),
    });
    expect(version.status).toBe(400);
    expect(version.body).toMatchObject({ code: "UNSUPPORTED_EVENT_VERSION" });

    const key = await post("PlaceOrderRequested", order(orderId), "has spaces");
    expect(key.status).toBe(400);
    expect(key.body).toMatchObject({ code: "BAD_PARAMETER" });

    expect(await commandsOnLog("order-commands", orderId)).toEqual([]);
  }, 180_000);

  it("refuses an oversize body with 413 before parsing it", async () => {
    const orderId = `o-${session.name}-big`;
    const padding = "x".repeat(FAST_LANE_MAX_ENTRY_BYTES);
    const big = await call(`${api}/commands/PlaceOrderRequested`, {
      raw: JSON.stringify({ ...order(orderId), note: padding }),
    });
    expect(big.status).toBe(413);
    expect(big.headers.get("content-type")).toBe("application/problem+json");
    expect(big.body).toMatchObject({
      code: "PAYLOAD_TOO_LARGE",
      limitBytes: FAST_LANE_MAX_ENTRY_BYTES,
    });
    expect(await commandsOnLog("order-commands", orderId)).toEqual([]);
  }, 180_000);
});

describe("query API", () => {
  it("pages a customer's orders, the inventory and the sales windows with opaque cursors", async () => {
    const first = await call(`${api}/customers/${customerId}/orders?limit=1`);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(1);
    expect(typeof first.body.next).toBe("string");
    const second = await call(
      `${api}/customers/${customerId}/orders?limit=1&cursor=${first.body.next as string}`,
    );
    expect(second.body.items).toHaveLength(1);
    expect(second.body.items).not.toEqual(first.body.items);
    expect(second.body.readModel).toMatchObject({ name: "customer-orders", version: 1 });

    const inventory = await call(`${api}/inventory?limit=1`);
    expect(inventory.body.items).toHaveLength(1);
    const rest = await call(`${api}/inventory?limit=200&cursor=${inventory.body.next as string}`);
    const seen = [
      ...(inventory.body.items as { productId: string }[]),
      ...(rest.body.items as { productId: string }[]),
    ];
    expect(seen.map((p) => p.productId).sort()).toEqual([...products].sort());

    const sales = await call(`${api}/sales?limit=100`);
    expect(sales.status).toBe(200);
    expect((sales.body.totals as { ordersPlaced?: number }).ordersPlaced).toBeGreaterThanOrEqual(2);
    expect(sales.body.windowSeconds).toBe(60);

    const badCursor = await call(`${api}/inventory?cursor=%%%`);
    expect(badCursor.status).toBe(400);
    const badLimit = await call(`${api}/inventory?limit=0`);
    expect(badLimit.status).toBe(400);
    const noRoute = await call(`${api}/nothing-here`);
    expect(noRoute.status).toBe(404);
    const noOrder = await call(`${api}/orders/none-${session.name}`);
    expect(noOrder.status).toBe(404);
    expect(noOrder.body).toMatchObject({ code: "NOT_FOUND" });
  }, 180_000);
});

describe("command API during a log outage", () => {
  it("answers 503 with Retry-After while the broker is down, publishes nothing, and accepts the retry once it is back", async () => {
    const brokers = readState()?.brokerCount ?? 1;
    const orderId = `o-${session.name}-outage`;
    const key = `key-${orderId}`;
    await Promise.all(Array.from({ length: brokers }, (_, i) => stopBroker(i + 1)));
    let refused: Answer | undefined;
    try {
      refused = await post("PlaceOrderRequested", order(orderId), key);
    } finally {
      await Promise.all(Array.from({ length: brokers }, (_, i) => startBroker(i + 1)));
    }
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(refused.body).toMatchObject({ code: "LOG_UNAVAILABLE", status: 503 });

    expect(await commandsOnLog("order-commands", orderId)).toEqual([]);

    // The client retries with the same key: the refusal was not stored, so it runs now.
    const retried = await eventually(
      "the retry accepted",
      () => post("PlaceOrderRequested", order(orderId), key),
      (a) => a.status === 202,
    );
    expect(retried.headers.get("idempotency-replayed")).toBeNull();
    const commands = await commandsOnLog("order-commands", orderId);
    expect(commands.map((e) => e.event.eventId)).toEqual([retried.body.commandId]);
  }, 240_000);
});
