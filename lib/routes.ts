import type { EventDefinition } from "../events/define.ts";
import type { ResolvedTopic, TopicName } from "../events/topics.ts";
import type {
  FastLaneTrigger,
  FunctionDeclaration,
  LogTrigger,
  ScheduleTrigger,
} from "../functions/kit/declarations.ts";
import { consumerGroupFor } from "../functions/kit/declarations.ts";

/**
 * Routing derived from the two sources of truth: the event catalog (`events/`) and the trigger
 * declarations (`functions/registry.ts`). The constructs and the one-to-one tests both read these
 * lists, so nothing about routing is written twice. Pure functions, no CDK.
 */

/** A catalog declaration or trigger that cannot be turned into infrastructure. */
export class RoutingError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = "RoutingError";
  }
}

/** One critical command on the fast lane: rule → queue (+ DLQ) → its one handler. */
export interface FastLaneRoute {
  /** The command type (`detail-type` on the bus). */
  readonly command: string;
  /** The function that handles it. */
  readonly handler: FunctionDeclaration;
  readonly trigger: FastLaneTrigger;
}

/** One MSK event source mapping: a (function, topic) pair with its own consumer group. */
export interface LogMapping {
  readonly handler: FunctionDeclaration;
  readonly trigger: LogTrigger;
  readonly topic: TopicName;
  readonly consumerGroup: string;
}

/** One scheduled function. */
export interface ScheduleRoute {
  readonly handler: FunctionDeclaration;
  readonly trigger: ScheduleTrigger;
}

/**
 * The event types that travel on the fast lane, in catalog order.
 *
 * @example
 * ```ts
 * fastLaneCommands(allEventDefinitions()); // ["RegisterCustomerRequested", "PlaceOrderRequested", …]
 * ```
 */
export function fastLaneCommands(events: readonly EventDefinition[]): readonly string[] {
  return events.filter((event) => event.lanes.includes("fast")).map((event) => event.type);
}

/**
 * One route per fast-lane command, each with exactly one handler.
 *
 * @throws {RoutingError} when a fast-lane command has no handler or several, or a handler declares
 *   a command that is not on the fast lane.
 * @example
 * ```ts
 * fastLaneRoutes(allEventDefinitions(), functionDeclarations)
 *   .find((r) => r.command === "PlaceOrderRequested")?.handler.name; // "order-commands"
 * ```
 */
export function fastLaneRoutes(
  events: readonly EventDefinition[],
  declarations: readonly FunctionDeclaration[],
): readonly FastLaneRoute[] {
  const commands = fastLaneCommands(events);
  const handlers = new Map<string, { handler: FunctionDeclaration; trigger: FastLaneTrigger }[]>();
  for (const handler of declarations) {
    const trigger = handler.trigger;
    if (trigger.kind !== "fast-lane") continue;
    for (const command of trigger.commands) {
      if (!commands.includes(command)) {
        throw new RoutingError(
          `function ${handler.name} is triggered by ${command}, which the catalog does not put on the fast lane`,
        );
      }
      handlers.set(command, [...(handlers.get(command) ?? []), { handler, trigger }]);
    }
  }
  return commands.map((command) => {
    const found = handlers.get(command) ?? [];
    if (found.length !== 1) {
      throw new RoutingError(
        found.length === 0
          ? `fast-lane command ${command} has no handler: declare it in one function's fast-lane trigger`
          : `fast-lane command ${command} has ${found.length} handlers (${found.map((f) => f.handler.name).join(", ")}); exactly one must handle it`,
      );
    }
    const [only] = found as [{ handler: FunctionDeclaration; trigger: FastLaneTrigger }];
    return { command, handler: only.handler, trigger: only.trigger };
  });
}

/**
 * One mapping per (function, topic) of every log trigger, each with its own consumer group.
 *
 * @throws {RoutingError} when a trigger names a topic that does not exist, reads the dead-letter
 *   topic it would also fail into, or two mappings share a consumer group.
 * @example
 * ```ts
 * logMappings(functionDeclarations, topicsFor("aws"))
 *   .filter((m) => m.handler.name === "order-saga").length; // 4, one per topic
 * ```
 */
export function logMappings(
  declarations: readonly FunctionDeclaration[],
  topics: readonly ResolvedTopic[],
): readonly LogMapping[] {
  const known = new Set<string>(topics.map((t) => t.name));
  const groups = new Map<string, string>();
  const mappings: LogMapping[] = [];
  for (const handler of declarations) {
    const trigger = handler.trigger;
    if (trigger.kind !== "log") continue;
    for (const topic of trigger.topics) {
      if (!known.has(topic)) {
        throw new RoutingError(
          `function ${handler.name} reads topic ${topic}, which is not in the catalog`,
        );
      }
      if (topic === trigger.onFailure) {
        throw new RoutingError(
          `function ${handler.name} reads ${topic}, its own on-failure topic; Lambda refuses that loop`,
        );
      }
      const consumerGroup = consumerGroupFor(trigger, topic);
      const owner = groups.get(consumerGroup);
      if (owner !== undefined) {
        throw new RoutingError(
          `consumer group ${consumerGroup} is used by ${owner} and ${handler.name}.${topic}; each mapping needs its own`,
        );
      }
      groups.set(consumerGroup, `${handler.name}.${topic}`);
      mappings.push({ handler, trigger, topic, consumerGroup });
    }
  }
  return mappings;
}

/**
 * Every scheduled function.
 *
 * @example
 * ```ts
 * scheduleRoutes(functionDeclarations).map((r) => r.handler.name); // ["fast-lane-reconciler", …]
 * ```
 */
export function scheduleRoutes(
  declarations: readonly FunctionDeclaration[],
): readonly ScheduleRoute[] {
  const routes: ScheduleRoute[] = [];
  for (const handler of declarations) {
    if (handler.trigger.kind === "schedule") routes.push({ handler, trigger: handler.trigger });
  }
  return routes;
}

/**
 * The one function that provisions topics (trigger `custom-resource`).
 *
 * @throws {RoutingError} when there is none or more than one.
 * @example
 * ```ts
 * topicProvisionerDeclaration(functionDeclarations).name; // "topic-provisioner"
 * ```
 */
export function topicProvisionerDeclaration(
  declarations: readonly FunctionDeclaration[],
): FunctionDeclaration {
  const found = declarations.filter((d) => d.trigger.kind === "custom-resource");
  if (found.length !== 1) {
    throw new RoutingError(
      `expected exactly one function with a custom-resource trigger (the topic provisioner), found ${found.length}`,
    );
  }
  return found[0] as FunctionDeclaration;
}
