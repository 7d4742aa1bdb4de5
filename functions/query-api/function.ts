import { type TopicName, topicSpecs } from "../../events/topics.ts";
import { declaration as customerOrders } from "../customer-orders-projector/function.ts";
import { declaration as inventoryLevels } from "../inventory-levels-projector/function.ts";
import { consumerGroupFor, defineFunction } from "../kit/declarations.ts";
import { declaration as orderSummary } from "../order-summary-projector/function.ts";
import { declaration as salesAnalytics } from "../sales-analytics-projector/function.ts";

/** The projectors whose read models the API serves; their groups' lag is in every answer. */
export const servedProjectors = [orderSummary, customerOrders, inventoryLevels, salesAnalytics];

const observedGroups = servedProjectors.flatMap((d) => {
  const trigger = d.trigger;
  return trigger.kind === "log" ? trigger.topics.map((t) => consumerGroupFor(trigger, t)) : [];
});

export const declaration = defineFunction({
  name: "query-api",
  description:
    "HTTP query API: read models (orders, customers' orders, inventory, sales per minute) and the log (a flow by correlation id, an aggregate's state at a time), paginated, each answer with the read model's version and lag.",
  trigger: {
    kind: "http",
    routes: [
      { method: "GET", path: "/orders/{orderId}" },
      { method: "GET", path: "/customers/{customerId}/orders" },
      { method: "GET", path: "/inventory" },
      { method: "GET", path: "/inventory/{productId}" },
      { method: "GET", path: "/sales" },
      { method: "GET", path: "/flows/{correlationId}" },
      { method: "GET", path: "/aggregates/{type}/{id}" },
      { method: "GET", path: "/commands/{commandId}" },
    ],
    maxBodyBytes: 0,
  },
  timeoutSeconds: 28,
  memoryMb: 1024,
  resources: [
    { kind: "table", table: "read-models", access: "read" },
    { kind: "table", table: "command-ledger", access: "read" },
    {
      kind: "log",
      access: "inspect",
      topics: Object.keys(topicSpecs) as TopicName[],
      observedGroups,
    },
    { kind: "metrics" },
  ],
});
