import type { ResolvedTopic } from "../../events/topics.ts";
import type { LogAdmin, TopicDescription } from "./log/port.ts";

/**
 * The catalog's topics against a cluster: what is missing, what differs, and what can be fixed
 * safely. Used by the CDK topic custom resource, the local provisioning and `duplex topics`.
 */
export type TopicChange =
  | { readonly kind: "create"; readonly topic: ResolvedTopic }
  | {
      readonly kind: "add-partitions";
      readonly topic: string;
      readonly from: number;
      readonly to: number;
    }
  | {
      readonly kind: "alter-configs";
      readonly topic: string;
      readonly changes: Readonly<Record<string, { from: string | undefined; to: string }>>;
    }
  | {
      readonly kind: "unsafe";
      readonly topic: string;
      readonly field: string;
      readonly actual: string;
      readonly wanted: string;
      /** Why it cannot be applied, and what to do instead. */
      readonly why: string;
    }
  | { readonly kind: "extra"; readonly topic: string };

/**
 * Compares the desired topics with the cluster.
 *
 * @example
 * ```ts
 * const changes = await diffTopics(admin, topicsFor("local"));
 * // [{ kind: "create", topic: { name: "order-events", ... } }, ...]
 * ```
 */
export async function diffTopics(
  admin: LogAdmin,
  desired: readonly ResolvedTopic[],
): Promise<TopicChange[]> {
  const existing = new Set(await admin.listTopics());
  const changes: TopicChange[] = [];
  const present = desired.filter((t) => existing.has(t.name));
  const described = new Map<string, TopicDescription>(
    (await admin.describeTopics(present.map((t) => t.name))).map((d) => [d.name, d]),
  );
  for (const topic of desired) {
    const actual = described.get(topic.name);
    if (actual === undefined) {
      changes.push({ kind: "create", topic });
      continue;
    }
    if (actual.partitions < topic.partitions) {
      changes.push({
        kind: "add-partitions",
        topic: topic.name,
        from: actual.partitions,
        to: topic.partitions,
      });
    } else if (actual.partitions > topic.partitions) {
      changes.push({
        kind: "unsafe",
        topic: topic.name,
        field: "partitions",
        actual: String(actual.partitions),
        wanted: String(topic.partitions),
        why: "Kafka cannot remove partitions; raise the catalog's count to match, or recreate the topic (losing its data)",
      });
    }
    if (actual.replicationFactor !== topic.replicationFactor) {
      changes.push({
        kind: "unsafe",
        topic: topic.name,
        field: "replicationFactor",
        actual: String(actual.replicationFactor),
        wanted: String(topic.replicationFactor),
        why: "changing replication needs a partition reassignment (kafka-reassign-partitions); do it as a planned operation",
      });
    }
    const configChanges: Record<string, { from: string | undefined; to: string }> = {};
    for (const [name, value] of Object.entries(topic.configs)) {
      if (actual.configs[name] !== value)
        configChanges[name] = { from: actual.configs[name], to: value };
    }
    if (Object.keys(configChanges).length > 0) {
      changes.push({ kind: "alter-configs", topic: topic.name, changes: configChanges });
    }
  }
  const wanted = new Set<string>(desired.map((t) => t.name));
  for (const name of existing) {
    if (!wanted.has(name) && !name.startsWith("__")) changes.push({ kind: "extra", topic: name });
  }
  return changes;
}

/** Applies the safe changes (create, add partitions, alter configs); returns what it did not. */
export async function applyTopicChanges(
  admin: LogAdmin,
  changes: readonly TopicChange[],
): Promise<{ applied: TopicChange[]; skipped: TopicChange[] }> {
  const applied: TopicChange[] = [];
  const skipped: TopicChange[] = [];
  const creates = changes.flatMap((c) => (c.kind === "create" ? [c.topic] : []));
  if (creates.length > 0) {
    await admin.createTopics(creates);
    applied.push(...changes.filter((c) => c.kind === "create"));
  }
  for (const change of changes) {
    switch (change.kind) {
      case "create":
        break;
      case "add-partitions":
        await admin.createPartitions(change.topic, change.to);
        applied.push(change);
        break;
      case "alter-configs":
        await admin.alterTopicConfigs(
          change.topic,
          Object.fromEntries(Object.entries(change.changes).map(([k, v]) => [k, v.to])),
        );
        applied.push(change);
        break;
      case "unsafe":
      case "extra":
        skipped.push(change);
        break;
      default: {
        const unreachable: never = change;
        throw new Error(`unknown change ${JSON.stringify(unreachable)}`);
      }
    }
  }
  return { applied, skipped };
}

/** One line per change, for people. */
export function describeTopicChange(change: TopicChange): string {
  switch (change.kind) {
    case "create":
      return `create ${change.topic.name} (${change.topic.partitions} partitions, RF ${change.topic.replicationFactor})`;
    case "add-partitions":
      return `${change.topic}: partitions ${change.from} → ${change.to}`;
    case "alter-configs":
      return `${change.topic}: ${Object.entries(change.changes)
        .map(([k, v]) => `${k} ${v.from ?? "(default)"} → ${v.to}`)
        .join(", ")}`;
    case "unsafe":
      return `${change.topic}: ${change.field} is ${change.actual}, catalog says ${change.wanted} — not applied: ${change.why}`;
    case "extra":
      return `${change.topic}: on the cluster but not in the catalog — left alone`;
    default: {
      const unreachable: never = change;
      return String(unreachable);
    }
  }
}
