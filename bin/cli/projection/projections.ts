import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { TopicName } from "../../../events/topics.ts";
import { customerOrdersProjection } from "../../../functions/customer-orders-projector/projection.ts";
import { inventoryLevelsProjection } from "../../../functions/inventory-levels-projector/projection.ts";
import { type DeclaredGroup, declaredGroups } from "../../../functions/kit/log-query/groups.ts";
import type { Projection } from "../../../functions/kit/projector.ts";
import { ReadModelStore } from "../../../functions/kit/read-models.ts";
import { orderSummaryProjection } from "../../../functions/order-summary-projector/projection.ts";
import { functionDeclarations } from "../../../functions/registry.ts";
import { salesAnalyticsProjection } from "../../../functions/sales-analytics-projector/projection.ts";
import { NotFoundError } from "../errors.ts";
import type { Target } from "../target/target.ts";

const all: readonly Projection[] = [
  orderSummaryProjection,
  inventoryLevelsProjection,
  customerOrdersProjection,
  salesAnalyticsProjection,
];

/** A projection with its projector function, the topics it reads and its live consumer groups. */
export interface ProjectionInfo {
  readonly projection: Projection;
  readonly functionName: string;
  readonly topics: readonly TopicName[];
  readonly groups: readonly DeclaredGroup[];
}

export function projectionNames(): string[] {
  return all.map((p) => p.name);
}

export function projectionNamed(name: string): ProjectionInfo {
  const projection = all.find((p) => p.name === name);
  const declaration = functionDeclarations.find((d) => d.name === `${name}-projector`);
  if (projection === undefined || declaration === undefined || declaration.trigger.kind !== "log") {
    throw new NotFoundError(`no projection '${name}'`, {
      hint: `one of: ${projectionNames().join(", ")}`,
    });
  }
  return {
    projection,
    functionName: declaration.name,
    topics: declaration.trigger.topics,
    groups: declaredGroups().filter((g) => g.functionName === declaration.name),
  };
}

/** The read models of a target (the pointer read fresh every time). */
export function readModelStore(target: Target): ReadModelStore {
  return new ReadModelStore(target.doc, target.resources.tables["read-models"], {
    pointerTtlMs: 0,
  });
}

/** How long a live projector may keep using a pointer it read (the kit's default cache). */
export const LIVE_POINTER_TTL_MS = 2_000;

export interface RebuildRecord {
  readonly version: number;
  readonly progress: Record<string, unknown>;
}

/** Every rebuild recorded for a projection (`projection#<name>` / `rebuild#v<N>` items). */
export async function rebuildRecords(target: Target, name: string): Promise<RebuildRecord[]> {
  const records: RebuildRecord[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await target.doc.send(
      new QueryCommand({
        TableName: target.resources.tables["read-models"],
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :r)",
        ExpressionAttributeValues: { ":pk": `projection#${name}`, ":r": "rebuild#v" },
        ConsistentRead: true,
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    for (const item of page.Items ?? []) {
      records.push({
        version: Number(String(item.sk).slice("rebuild#v".length)),
        progress: (item.progress ?? {}) as Record<string, unknown>,
      });
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return records.sort((a, b) => a.version - b.version);
}

/** A version never used before: above the live, the building and every recorded rebuild. */
export async function nextVersion(target: Target, name: string): Promise<number> {
  const pointer = await readModelStore(target).pointer(name, true);
  const recorded = await rebuildRecords(target, name);
  return (
    Math.max(pointer.liveVersion, pointer.buildingVersion ?? 0, ...recorded.map((r) => r.version)) +
    1
  );
}
