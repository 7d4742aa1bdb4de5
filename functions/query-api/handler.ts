import { dynamoDocumentClient } from "../kit/aws.ts";
import { tableOf } from "../kit/env.ts";
import { badParameter, notFound } from "../kit/http/errors.ts";
import { httpHandler } from "../kit/http/http-handler.ts";
import { decodeCursor, encodeCursor, pageLimit } from "../kit/http/pagination.ts";
import { json } from "../kit/http/responses.ts";
import type { LogAdmin } from "../kit/log/port.ts";
import type { LogAccess } from "../kit/log-query/access.ts";
import { aggregateStateAt, aggregateTypes } from "../kit/log-query/aggregate-state.ts";
import { UnknownAggregateTypeError } from "../kit/log-query/errors.ts";
import type { LoggedEvent } from "../kit/log-query/events.ts";
import { causationDepths, flowTimeline } from "../kit/log-query/flows.ts";
import { declaredGroups } from "../kit/log-query/groups.ts";
import { ReadModelPages } from "../kit/read-model-pages.ts";
import { createRuntime } from "../kit/runtime.ts";
import { minuteOf, TOTALS } from "../sales-analytics-projector/projection.ts";
import { FreshnessProbe } from "./freshness.ts";
import { declaration } from "./function.ts";
import { parseInstant, parseMinute } from "./time.ts";

const runtime = createRuntime(declaration);
const readModels = runtime.readModels();
const pages = new ReadModelPages(dynamoDocumentClient(), tableOf(runtime.config, "read-models"));
let admin: LogAdmin | undefined;
const access: LogAccess = {
  get log() {
    return runtime.logClient();
  },
  get admin() {
    admin ??= runtime.logClient().admin();
    return admin;
  },
  topicPrefix: runtime.config.topicPrefix,
};
const freshness = new FreshnessProbe(access, readModels, (projection) =>
  declaredGroups().filter((g) => g.functionName === `${projection}-projector`),
);

/** A page of items with the cursor of the next page (absent at the end). */
function paged<T>(items: readonly T[], next: unknown) {
  return { items, ...(next === undefined ? {} : { next: encodeCursor(next) }) };
}

/** Events as the API shows them: the envelope, where it is on the log, its depth in the flow. */
function logged(events: readonly LoggedEvent[], depths?: Map<string, number>) {
  return events.map((e) => ({
    ...e.event,
    topic: e.topic,
    partition: e.partition,
    offset: e.offset,
    loggedAt: e.loggedAt,
    ...(depths === undefined ? {} : { depth: depths.get(e.event.eventId) ?? 0 }),
  }));
}

/**
 * The query API. Read-model answers carry `readModel` (version, lag of its projector in records,
 * when measured); log answers carry `log` (the window scanned). Lists are paginated with opaque
 * cursors (`next` → `?cursor=`).
 */
export const handler = httpHandler({
  declaration,
  runtime,
  routes: {
    "GET /orders/{orderId}": async (request) => {
      const orderId = request.pathParameters.orderId ?? "";
      const meta = await freshness.of("order-summary");
      const [order, timeline] = await Promise.all([
        readModels.get("order-summary", orderId, { version: meta.version }),
        pages.subItems("order-summary", meta.version, orderId, "t#", 200),
      ]);
      if (order === undefined) {
        throw notFound(`no order '${orderId}' in order-summary v${meta.version}`, {
          readModel: meta,
        });
      }
      return json(200, { order: { ...order, timeline: timeline.items }, readModel: meta });
    },

    "GET /customers/{customerId}/orders": async (request) => {
      const customerId = request.pathParameters.customerId ?? "";
      const limit = pageLimit(request.query.limit, 25, 100);
      const meta = await freshness.of("customer-orders");
      const [customer, page] = await Promise.all([
        readModels.get("customer-orders", customerId, { version: meta.version }),
        pages.subItems(
          "customer-orders",
          meta.version,
          customerId,
          "order#",
          limit,
          decodeCursor(request.query.cursor),
        ),
      ]);
      if (customer === undefined && page.items.length === 0) {
        throw notFound(`no customer '${customerId}' in customer-orders v${meta.version}`, {
          readModel: meta,
        });
      }
      return json(200, { customer, ...paged(page.items, page.next), readModel: meta });
    },

    "GET /inventory": async (request) => {
      const limit = pageLimit(request.query.limit, 50, 200);
      const meta = await freshness.of("inventory-levels");
      const page = await pages.entities(
        "inventory-levels",
        meta.version,
        limit,
        decodeCursor(request.query.cursor),
      );
      return json(200, { ...paged(page.items, page.next), readModel: meta });
    },

    "GET /inventory/{productId}": async (request) => {
      const productId = request.pathParameters.productId ?? "";
      const meta = await freshness.of("inventory-levels");
      const level = await readModels.get("inventory-levels", productId, { version: meta.version });
      if (level === undefined) {
        throw notFound(`no product '${productId}' in inventory-levels v${meta.version}`, {
          readModel: meta,
        });
      }
      return json(200, { product: level, readModel: meta });
    },

    "GET /sales": async (request) => {
      const now = new Date();
      const to = parseMinute("to", request.query.to, new Date(now.getTime() + 60_000));
      const from = parseMinute("from", request.query.from, new Date(to.getTime() - 60 * 60_000));
      if (from >= to) throw badParameter("from", "a minute before 'to'", request.query.from);
      const limit = pageLimit(request.query.limit, 60, 100);
      const start = decodeCursor<string>(request.query.cursor);
      const first = start === undefined ? from : parseMinute("cursor", start, from);
      const windows: string[] = [];
      for (let t = first.getTime(); t < to.getTime() && windows.length < limit; t += 60_000) {
        windows.push(minuteOf(new Date(t).toISOString()));
      }
      const after = first.getTime() + windows.length * 60_000;
      const meta = await freshness.of("sales-analytics");
      const [items, totals] = await Promise.all([
        pages.views(
          "sales-analytics",
          meta.version,
          windows.map((w) => `minute#${w}`),
        ),
        readModels.get("sales-analytics", TOTALS, { version: meta.version }),
      ]);
      return json(200, {
        from: minuteOf(from.toISOString()),
        to: minuteOf(to.toISOString()),
        windowSeconds: 60,
        ...paged(items, after < to.getTime() ? minuteOf(new Date(after).toISOString()) : undefined),
        totals: totals ?? {},
        readModel: meta,
      });
    },

    "GET /flows/{correlationId}": async (request) => {
      const correlationId = request.pathParameters.correlationId ?? "";
      const now = new Date();
      const since = parseInstant(
        "since",
        request.query.since,
        new Date(now.getTime() - 86_400_000),
      );
      const until = parseInstant("until", request.query.until, now);
      const limit = pageLimit(request.query.limit, 200, 1_000);
      const skip = decodeCursor<number>(request.query.cursor) ?? 0;
      if (!Number.isInteger(skip) || skip < 0) throw badParameter("cursor", "a cursor from 'next'");
      const events = await flowTimeline(access, correlationId, {
        fromMs: since.getTime(),
        toMs: until.getTime() + 5_000,
      });
      if (events.length === 0) {
        throw notFound(
          `no event with correlation id ${correlationId} between ${since.toISOString()} and ${until.toISOString()}`,
        );
      }
      const depths = causationDepths(events);
      const page = events.slice(skip, skip + limit);
      return json(200, {
        correlationId,
        count: events.length,
        ...paged(logged(page, depths), skip + limit < events.length ? skip + limit : undefined),
        log: { since: since.toISOString(), until: until.toISOString() },
      });
    },

    "GET /aggregates/{type}/{id}": async (request) => {
      const type = request.pathParameters.type ?? "";
      const id = request.pathParameters.id ?? "";
      const at = parseInstant("at", request.query.at, new Date());
      try {
        const result = await aggregateStateAt(access, type, id, at);
        if (result.events.length === 0) {
          throw notFound(`${type} ${id} has no event on the log up to ${at.toISOString()}`);
        }
        return json(200, {
          aggregateType: type,
          aggregateId: id,
          at: result.at,
          state: result.state,
          events: logged(result.events),
          log: { until: at.toISOString() },
        });
      } catch (error) {
        if (error instanceof UnknownAggregateTypeError) {
          throw badParameter("type", `one of ${aggregateTypes().join(", ")}`, type);
        }
        throw error;
      }
    },

    "GET /commands/{commandId}": async (request) => {
      const commandId = request.pathParameters.commandId ?? "";
      const entry = await runtime.ledger().get(commandId);
      if (entry === undefined) {
        throw notFound(
          `no command ${commandId} in the command ledger (kept 8 days; a command is recorded once the API or the ledger consumer saw it logged)`,
        );
      }
      const { command: _command, ...status } = entry;
      return json(200, {
        ...status,
        flowUrl: `/flows/${entry.command?.correlationId ?? commandId}`,
      });
    },
  },
});
