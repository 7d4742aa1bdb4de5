import { z } from "zod";
import { TopicConfigError } from "./errors.ts";

/**
 * The topics of the log: partitions, retention and cleanup policy from the catalog; replication
 * per environment. CDK (through the topic custom resource), the local stack and the operators'
 * `topics diff` all read {@link topicsFor}.
 */

/** Where the topics live; decides replication. */
export type TopicEnvironment = "local" | "local-cluster" | "aws";

/** What a topic carries. Events and critical commands never share a topic. */
export type TopicKind = "events" | "commands" | "dead-letters";

const DAY_MS = 86_400_000;

/** Topic settings as written in the catalog. */
export interface TopicSpec {
  readonly kind: TopicKind;
  readonly partitions: number;
  readonly retentionMs: number;
  readonly cleanupPolicy: "delete" | "compact" | "compact,delete";
  readonly description: string;
}

/** Replication per environment (MSK: RF 3, min ISR 2). */
export const replicationByEnvironment: Readonly<
  Record<
    TopicEnvironment,
    { readonly replicationFactor: number; readonly minInsyncReplicas: number }
  >
> = {
  local: { replicationFactor: 1, minInsyncReplicas: 1 },
  "local-cluster": { replicationFactor: 3, minInsyncReplicas: 2 },
  aws: { replicationFactor: 3, minInsyncReplicas: 2 },
};

/** Every topic of the log. Names are referenced by the catalog entries. */
export const topicSpecs = {
  "order-events": {
    kind: "events",
    partitions: 12,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: "delete",
    description: "Facts about orders, keyed by order id.",
  },
  "inventory-events": {
    kind: "events",
    partitions: 6,
    retentionMs: 3 * DAY_MS,
    cleanupPolicy: "delete",
    description: "Stock and reservation facts, keyed by product id or order id (reservation).",
  },
  "customer-events": {
    kind: "events",
    partitions: 8,
    retentionMs: 30 * DAY_MS,
    cleanupPolicy: "delete",
    description: "Facts about customers, keyed by customer id.",
  },
  "payment-events": {
    kind: "events",
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: "delete",
    description: "Payment facts, keyed by order id (one payment per order).",
  },
  "delivery-events": {
    kind: "events",
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: "delete",
    description: "Delivery facts, keyed by order id.",
  },
  "order-commands": {
    kind: "commands",
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: "delete",
    description: "Critical commands to the order aggregate (also on the fast lane).",
  },
  "inventory-commands": {
    kind: "commands",
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: "delete",
    description: "Critical commands to inventory (also on the fast lane).",
  },
  "payment-commands": {
    kind: "commands",
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: "delete",
    description: "Critical commands to payments (also on the fast lane).",
  },
  "delivery-commands": {
    kind: "commands",
    partitions: 3,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: "delete",
    description: "Critical commands to deliveries (also on the fast lane).",
  },
  "customer-commands": {
    kind: "commands",
    partitions: 3,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: "delete",
    description: "Critical commands to customers (also on the fast lane).",
  },
  "dead-letters": {
    kind: "dead-letters",
    partitions: 3,
    retentionMs: 14 * DAY_MS,
    cleanupPolicy: "delete",
    description:
      "Log records a function could not process: the raw record plus the failure as headers.",
  },
} as const satisfies Record<string, TopicSpec>;

/** The name of a topic in the catalog. */
export type TopicName = keyof typeof topicSpecs;

/**
 * The catalog's topics of some kinds, in catalog order.
 *
 * @example
 * ```ts
 * topicsOfKind("commands"); // ["order-commands", "inventory-commands", …]
 * ```
 */
export function topicsOfKind(...kinds: readonly TopicKind[]): readonly TopicName[] {
  return (Object.keys(topicSpecs) as TopicName[]).filter((name) =>
    kinds.includes(topicSpecs[name].kind),
  );
}

/** The dead-letter topic of the log lane. */
export const DEAD_LETTER_TOPIC: TopicName = "dead-letters";

/** The topic config that decides whose clock stamps a record (Kafka's `message.timestamp.type`). */
export const TIMESTAMP_TYPE = "message.timestamp.type";

/** A topic with every setting resolved for one environment, as the admin API needs it. */
export interface ResolvedTopic {
  readonly name: TopicName;
  readonly kind: TopicKind;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Topic-level configs, as Kafka names them. */
  readonly configs: Readonly<Record<string, string>>;
  readonly description: string;
}

const TopicNamePattern = /^[a-z][a-z0-9-]{0,248}$/;

const TopicSpecSchema = z.object({
  kind: z.enum(["events", "commands", "dead-letters"]),
  partitions: z.number().int().min(1).max(1000),
  retentionMs: z
    .number()
    .int()
    .refine((v) => v === -1 || v >= 60_000, {
      message: "expected -1 (unlimited) or at least 60000 ms",
    }),
  cleanupPolicy: z.enum(["delete", "compact", "compact,delete"]),
  description: z.string().min(1),
});

/**
 * Validates topic specs; the first bad setting fails with the topic and field named.
 *
 * @example
 * ```ts
 * validateTopicSpecs({ "x-events": { kind: "events", partitions: 0, ... } });
 * // TopicConfigError: topic x-events: partitions: Too small: expected number to be >=1
 * ```
 */
export function validateTopicSpecs(specs: Readonly<Record<string, unknown>>): void {
  for (const [name, spec] of Object.entries(specs)) {
    if (!TopicNamePattern.test(name)) {
      throw new TopicConfigError(name, "name", "expected lower-case letters, digits and '-'");
    }
    const parsed = TopicSpecSchema.safeParse(spec);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join(".") || "(spec)";
      throw new TopicConfigError(name, field, issue?.message ?? "invalid");
    }
  }
}

/**
 * Resolves every topic for an environment.
 *
 * @example
 * ```ts
 * const topics = topicsFor("aws");
 * topics.find((t) => t.name === "order-events");
 * // { partitions: 12, replicationFactor: 3, configs: { "retention.ms": "604800000", "min.insync.replicas": "2", ... } }
 * ```
 */
export function topicsFor(
  environment: TopicEnvironment,
  specs: Readonly<Record<TopicName, TopicSpec>> = topicSpecs,
): readonly ResolvedTopic[] {
  validateTopicSpecs(specs);
  const replication = replicationByEnvironment[environment];
  return (Object.entries(specs) as [TopicName, TopicSpec][]).map(([name, spec]) => ({
    name,
    kind: spec.kind,
    partitions: spec.partitions,
    replicationFactor: replication.replicationFactor,
    configs: {
      "retention.ms": String(spec.retentionMs),
      "cleanup.policy": spec.cleanupPolicy,
      "min.insync.replicas": String(replication.minInsyncReplicas),
      // A record's timestamp is the broker's clock when it appended it, never a producer's:
      // monotonic per partition, so "has a consumer read everything logged before T" is a
      // question of offsets (the saga's deadlines are judged that way).
      [TIMESTAMP_TYPE]: "LogAppendTime",
    },
    description: spec.description,
  }));
}

validateTopicSpecs(topicSpecs);
