import {
  CancelReplayCommand,
  DescribeArchiveCommand,
  DescribeReplayCommand,
  type DescribeReplayCommandOutput,
  ListReplaysCommand,
  ResourceNotFoundException,
  StartReplayCommand,
} from "@aws-sdk/client-eventbridge";
import { findEventDefinition } from "../../../events/registry.ts";
import { NotFoundError, UsageError } from "../errors.ts";
import type { Target } from "../target/target.ts";
import type { TimeWindow } from "../time.ts";
import { commandsInWindow } from "./log-commands.ts";

/** States of a replay that will not change any more. */
export const FINAL_REPLAY_STATES: ReadonlySet<string> = new Set([
  "COMPLETED",
  "CANCELLED",
  "FAILED",
]);

/** The critical commands an operator named, checked against the catalog and the target. */
export function selectCommands(target: Target, text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const names = text
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n !== "");
  if (names.length === 0)
    throw new UsageError("the list of commands is empty", {
      hint: "e.g. --commands ProcessPaymentRequested,ReserveInventoryRequested",
    });
  for (const name of names) {
    const definition = findEventDefinition(name);
    if (definition === undefined || !definition.critical) {
      const known = Object.keys(target.resources.commands).sort();
      throw new UsageError(
        `'${name}' is not a critical command (only they are on the fast lane and in the archive)`,
        {
          hint: `one of: ${known.join(", ")}`,
        },
      );
    }
    if (target.resources.commands[name] === undefined) {
      throw new NotFoundError(`${target.label} has no rule for ${name}`);
    }
  }
  return names;
}

export function replayName(text: string | undefined, now: Date): string {
  const name =
    text ??
    `duplex-${now.toISOString().replace(/[-:T]/g, "").slice(0, 14)}-${Math.random().toString(16).slice(2, 6)}`;
  if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(name)) {
    throw new UsageError(`replay name '${name}' is not valid`, {
      hint: "use letters, digits, '.', '-', '_' (at most 64), e.g. --name fix-payments-1",
    });
  }
  return name;
}

/** The archive, or a not-found error saying what to check. */
export async function describeArchive(target: Target) {
  try {
    return await target.eventBridge.send(
      new DescribeArchiveCommand({ ArchiveName: target.resources.archiveName }),
    );
  } catch (error) {
    if (
      error instanceof ResourceNotFoundException ||
      (error as { name?: string }).name === "ResourceNotFoundException"
    ) {
      throw new NotFoundError(
        `archive ${target.resources.archiveName} does not exist in ${target.label}`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * What a replay of the window would send, counted from the log: EventBridge cannot list archived
 * events, but every critical command is on its command topic (log first), so the commands of the
 * window are read there (by `offsetsAtTime`, then each command's `occurredAt`, the time EventBridge
 * archives it under). Commands whose fast-lane put failed are on the log but not in the archive, so
 * this is an upper bound.
 */
export async function countWindowFromLog(
  target: Target,
  window: TimeWindow,
  commands: readonly string[] | undefined,
): Promise<{ total: number; byType: Record<string, number>; topics: string[] }> {
  const { events, byType, topics } = await commandsInWindow(target, window, commands);
  return { total: events.length, byType, topics };
}

export async function startReplay(
  target: Target,
  name: string,
  window: TimeWindow,
  commands: readonly string[] | undefined,
): Promise<void> {
  const r = target.resources;
  await target.eventBridge.send(
    new StartReplayCommand({
      ReplayName: name,
      Description: `duplex replay archive${commands ? ` of ${commands.join(",")}` : ""}`,
      EventSourceArn: r.archiveArn,
      EventStartTime: window.from,
      EventEndTime: window.to,
      Destination: {
        Arn: r.eventBusArn,
        ...(commands === undefined
          ? {}
          : { FilterArns: commands.map((c) => r.commands[c]?.ruleArn ?? "") }),
      },
    }),
  );
}

export async function describeReplay(
  target: Target,
  name: string,
): Promise<DescribeReplayCommandOutput> {
  try {
    return await target.eventBridge.send(new DescribeReplayCommand({ ReplayName: name }));
  } catch (error) {
    if (
      error instanceof ResourceNotFoundException ||
      (error as { name?: string }).name === "ResourceNotFoundException"
    ) {
      throw new NotFoundError(`no replay named '${name}'`, {
        hint: "see them with: duplex replay list",
        cause: error,
      });
    }
    throw error;
  }
}

/** Progress of a running replay: how far its last replayed event is through the window. */
export function replayProgress(
  replay: Pick<
    DescribeReplayCommandOutput,
    "State" | "EventStartTime" | "EventEndTime" | "EventLastReplayedTime"
  >,
): number {
  if (replay.State === "COMPLETED") return 1;
  const start = replay.EventStartTime?.getTime();
  const end = replay.EventEndTime?.getTime();
  const last = replay.EventLastReplayedTime?.getTime();
  if (start === undefined || end === undefined || last === undefined || end <= start) return 0;
  return Math.min(1, Math.max(0, (last - start) / (end - start)));
}

export async function cancelReplay(target: Target, name: string): Promise<string | undefined> {
  await describeReplay(target, name);
  const { State } = await target.eventBridge.send(new CancelReplayCommand({ ReplayName: name }));
  return State;
}

/** The replays of this target's archive, newest first. */
export async function listReplays(target: Target) {
  const replays = [];
  let token: string | undefined;
  do {
    const page = await target.eventBridge.send(
      new ListReplaysCommand({ EventSourceArn: target.resources.archiveArn, NextToken: token }),
    );
    replays.push(...(page.Replays ?? []));
    token = page.NextToken;
  } while (token !== undefined);
  return replays.sort(
    (a, b) => (b.ReplayStartTime?.getTime() ?? 0) - (a.ReplayStartTime?.getTime() ?? 0),
  );
}
