import type { PartitionOffsets } from "../../../functions/kit/log/port.ts";
import type { DeclaredGroup } from "../../../functions/kit/log-query/groups.ts";
import { partitionLag } from "../../../functions/kit/log-query/lag.ts";
import { RefusedError, TimeoutError, UsageError } from "../errors.ts";
import type { Target } from "../target/target.ts";

/** Where to move a consumer group. */
export type LogPosition =
  | { readonly kind: "time"; readonly at: Date }
  | { readonly kind: "offsets"; readonly offsets: ReadonlyMap<number, bigint> | bigint }
  | { readonly kind: "earliest" }
  | { readonly kind: "latest" };

/**
 * `--to-offset` values: `120` (every partition) or `0:120,1:98` (per partition).
 *
 * @example
 * ```ts
 * parseOffsets("0:120,3:7"); // Map { 0 => 120n, 3 => 7n }
 * ```
 */
export function parseOffsets(text: string): ReadonlyMap<number, bigint> | bigint {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return BigInt(trimmed);
  const map = new Map<number, bigint>();
  for (const part of trimmed.split(",")) {
    const match = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(part);
    if (match === null) {
      throw new UsageError(`--to-offset '${text}' is not an offset list`, {
        hint: "write one offset for every partition (--to-offset 120) or partition:offset pairs (--to-offset 0:120,1:98)",
      });
    }
    map.set(Number(match[1]), BigInt(match[2] ?? "0"));
  }
  return map;
}

/** One partition's move. */
export interface PartitionMove {
  readonly partition: number;
  readonly from: string | null;
  readonly to: string;
  readonly end: string;
  readonly lagBefore: number;
  readonly lagAfter: number;
}

/** The plan of a log replay: per partition, where the group is and where it will be. */
export interface LogReplayPlan {
  readonly groupId: string;
  readonly topic: string;
  readonly functionName: string;
  readonly state: string;
  readonly members: number;
  readonly moves: readonly PartitionMove[];
  /** Σ lag after − Σ lag before: records to process again (>0) or skipped (<0). */
  readonly delta: number;
}

/** Where each partition goes (clamped to what the log still holds). */
export function targetOffsets(
  partitions: readonly PartitionOffsets[],
  position: LogPosition,
  atTime: ReadonlyMap<number, string> | undefined,
): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (const p of partitions) {
    const low = BigInt(p.low);
    const high = BigInt(p.high);
    let wanted: bigint | undefined;
    switch (position.kind) {
      case "earliest":
        wanted = low;
        break;
      case "latest":
        wanted = high;
        break;
      case "time":
        wanted = BigInt(atTime?.get(p.partition) ?? p.high);
        break;
      case "offsets":
        wanted =
          typeof position.offsets === "bigint"
            ? position.offsets
            : position.offsets.get(p.partition);
        break;
    }
    if (wanted === undefined) continue;
    out.set(p.partition, wanted < low ? low : wanted > high ? high : wanted);
  }
  if (position.kind === "offsets" && typeof position.offsets !== "bigint") {
    for (const partition of position.offsets.keys()) {
      if (!partitions.some((p) => p.partition === partition)) {
        throw new UsageError(
          `partition ${partition} does not exist (the topic has ${partitions.length})`,
          {
            hint: `partitions are 0..${partitions.length - 1}`,
          },
        );
      }
    }
  }
  return out;
}

export async function planLogReplay(
  target: Target,
  group: DeclaredGroup,
  position: LogPosition,
): Promise<LogReplayPlan> {
  const groupId = `${target.topicPrefix}${group.groupId}`;
  const topic = `${target.topicPrefix}${group.topic}`;
  const [partitions, committed, description] = await Promise.all([
    target.admin.topicOffsets(topic),
    target.admin.groupOffsets(groupId, [topic]),
    target.admin.describeGroup(groupId),
  ]);
  const atTime =
    position.kind === "time"
      ? new Map(
          (await target.admin.offsetsAtTime(topic, position.at.getTime())).map((o) => [
            o.partition,
            o.offset,
          ]),
        )
      : undefined;
  const targets = targetOffsets(partitions, position, atTime);
  const moves: PartitionMove[] = [];
  for (const p of partitions) {
    const to = targets.get(p.partition);
    if (to === undefined) continue;
    const from = committed.find((c) => c.partition === p.partition)?.offset ?? null;
    moves.push({
      partition: p.partition,
      from,
      to: String(to),
      end: p.high,
      lagBefore: partitionLag(p, from, group.trigger.startingPosition),
      lagAfter: partitionLag(p, String(to), group.trigger.startingPosition),
    });
  }
  return {
    groupId,
    topic,
    functionName: group.functionName,
    state: description.state,
    members: description.members,
    moves,
    delta: moves.reduce((n, m) => n + m.lagAfter - m.lagBefore, 0),
  };
}

/** Waits until a group has no members (its consumers left). */
export async function waitForEmptyGroup(
  target: Target,
  groupId: string,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { members, state } = await target.admin.describeGroup(groupId);
    if (members === 0 && state !== "PreparingRebalance" && state !== "CompletingRebalance") return;
    if (Date.now() > deadline) {
      throw new TimeoutError(
        `consumer group ${groupId} still has ${members} member(s) after ${Math.round(timeoutMs / 1000)} s`,
        {
          hint: "its consumers did not leave; check the function's event source mapping (or the session's host)",
        },
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Moves the group: refused while it has members unless `stopConsumer`, in which case its consumers
 * are stopped, the group waited empty, the offsets set, and the consumers started again (also when
 * setting the offsets failed).
 */
export async function executeLogReplay(
  target: Target,
  plan: LogReplayPlan,
  stopConsumer: boolean,
): Promise<void> {
  const { members } = await target.admin.describeGroup(plan.groupId);
  if (members > 0 && !stopConsumer) {
    throw new RefusedError(
      `consumer group ${plan.groupId} is active (${members} member(s): ${plan.functionName} is reading it); Kafka moves only idle groups`,
      {
        hint: "add --stop-consumer to stop its consumer, move the offsets and start it again",
      },
    );
  }
  const offsets = plan.moves.map((m) => ({ partition: m.partition, offset: m.to }));
  if (members === 0) {
    await target.admin.setGroupOffsets(plan.groupId, plan.topic, offsets);
    return;
  }
  const reason = target.consumers.unavailableReason();
  if (reason !== undefined)
    throw new RefusedError(`cannot stop the consumer of ${plan.groupId}: ${reason}`);
  await target.consumers.stop(plan.groupId);
  try {
    await waitForEmptyGroup(target, plan.groupId);
    await target.admin.setGroupOffsets(plan.groupId, plan.topic, offsets);
  } finally {
    await target.consumers.start(plan.groupId);
  }
}
