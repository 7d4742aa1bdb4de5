import type { Replay as ReplaySummary } from "@aws-sdk/client-eventbridge";
import type { Command } from "commander";
import { type Context, run } from "../context.ts";
import { AttentionError, RefusedError, UsageError } from "../errors.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { resolveGroup } from "../log/groups.ts";
import { count, duration } from "../output/format.ts";
import { progressBar } from "../output/progress.ts";
import {
  cancelReplay,
  countWindowFromLog,
  describeArchive,
  describeReplay,
  FINAL_REPLAY_STATES,
  listReplays,
  replayName,
  replayProgress,
  selectCommands,
  startReplay,
} from "../replay/archive.ts";
import { executeLogReplay, type LogPosition, parseOffsets, planLogReplay } from "../replay/log.ts";
import { commandsInWindow, replayToFastLane } from "../replay/log-commands.ts";
import type { Target } from "../target/target.ts";
import { parseTime, parseWindow } from "../time.ts";

async function follow(ctx: Context, target: Target, name: string): Promise<ExitCode> {
  const progress = ctx.out.progress();
  const started = Date.now();
  for (;;) {
    const replay = await describeReplay(target, name);
    const state = replay.State ?? "?";
    const fraction = replayProgress(replay);
    progress.update(
      `${progressBar(fraction)} ${Math.round(fraction * 100)}%  ${state}  ${replay.EventLastReplayedTime ? `replayed up to ${replay.EventLastReplayedTime.toISOString()}` : ""}  ${duration(Date.now() - started)}`,
    );
    if (FINAL_REPLAY_STATES.has(state)) {
      progress.done(
        `replay ${name}: ${state}${replay.StateReason ? ` (${replay.StateReason})` : ""} after ${duration(Date.now() - started)}`,
      );
      ctx.out.result({ name, state, stateReason: replay.StateReason, replay });
      return state === "COMPLETED" ? EXIT.ok : EXIT.attention;
    }
    if (ctx.signal.aborted) {
      progress.done();
      ctx.out.note(
        `stopped following; the replay goes on. Check it with: duplex replay status ${name} (cancel: duplex replay cancel ${name})`,
      );
      return EXIT.interrupted;
    }
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

function registerArchive(replay: Command) {
  replay
    .command("archive")
    .description(
      "Replay a time window of critical commands from the EventBridge archive to the bus (all rules, or only those of --commands). Replayed commands carry replay-name; handlers are idempotent by event id.",
    )
    .requiredOption("--from <time>", "start of the window (ISO, or e.g. 2h for two hours ago)")
    .option("--to <time>", "end of the window (default: now)")
    .option(
      "--commands <types>",
      "only these critical commands (comma-separated): the replay's FilterArns",
    )
    .option("--name <name>", "the replay's name (default duplex-<time>-<random>)")
    .option(
      "--dry-run",
      "count what would be replayed (from the log's command topics), start nothing",
    )
    .option("--no-follow", "start and return; check with 'duplex replay status NAME'")
    .addHelpText(
      "after",
      `
Examples:
  duplex replay archive --from 2h --dry-run
  duplex replay archive --from 2026-11-23T10:00:00Z --to 2026-11-23T10:30:00Z --commands ProcessPaymentRequested
  duplex replay archive --from 30m --no-follow --name after-fix-1 --stage prod`,
    )
    .action(
      async (
        options: {
          from: string;
          to?: string;
          commands?: string;
          name?: string;
          dryRun?: boolean;
          follow: boolean;
        },
        command: Command,
      ) =>
        run(command, async (ctx) => {
          const now = ctx.now();
          const window = parseWindow({ from: options.from, to: options.to }, now);
          const name = replayName(options.name, now);
          const target = await ctx.target();
          const commands = selectCommands(target, options.commands);
          const archive = await describeArchive(target);
          const retentionDays = archive.RetentionDays ?? 0;
          if (
            retentionDays > 0 &&
            window.from.getTime() < now.getTime() - retentionDays * 86_400_000
          ) {
            ctx.out.note(
              `warning: the archive keeps ${retentionDays} day(s); the start of the window is older, those commands are gone`,
            );
          }
          if (options.dryRun) {
            const counted = await countWindowFromLog(target, window, commands);
            ctx.out.line(
              `would replay ${count(counted.total)} critical command(s) from ${window.from.toISOString()} to ${window.to.toISOString()} (${commands ? commands.join(", ") : "every rule"})`,
            );
            ctx.out.table(
              [{ header: "command" }, { header: "count", right: true }],
              Object.entries(counted.byType)
                .sort()
                .map(([t, n]) => [t, count(n)]),
            );
            ctx.out.note(
              `counted on the log (${counted.topics.join(", ")}): EventBridge cannot list archived events. Commands the fast lane refused are on the log but not in the archive, so this is an upper bound. The archive holds ${archive.EventCount ?? "?"} event(s) in all.`,
            );
            const note = localReplayNote(target);
            if (note !== undefined) ctx.out.note(note);
            ctx.out.result({
              dryRun: true,
              name,
              window,
              commands: commands ?? "all",
              countedFromLog: counted,
              archiveEventCount: archive.EventCount,
            });
            return EXIT.ok;
          }
          await startReplay(target, name, window, commands).catch((error: unknown) => {
            throw target.emulator === "localstack" && localStackReplayFailed(error)
              ? new RefusedError(
                  "LocalStack 4.14.0 cannot replay this archive: StartReplay answers HTTP 500 once the archive holds an event (docs/local-parity.md)",
                  {
                    hint: "replay the same window's critical commands from the log instead (duplex replay log-commands --from … --to …), or run the demo on moto (npm run stack:down, then npm start)",
                    cause: error,
                  },
                )
              : error;
          });
          ctx.out.line(
            `replay ${ctx.out.style.bold(name)} started: ${window.from.toISOString()} → ${window.to.toISOString()}, ${commands ? commands.join(", ") : "every rule"}`,
          );
          if (target.emulator === "moto") {
            ctx.out.note(
              "local emulator: moto replays the whole archive synchronously, ignoring the window and --commands; handlers are idempotent, so commands already handled change nothing",
            );
          }
          if (!options.follow) {
            ctx.out.result({ name, state: "STARTING" });
            return EXIT.ok;
          }
          return follow(ctx, target, name);
        }),
    );
}

function showReplay(ctx: Context, replays: readonly ReplaySummary[]) {
  ctx.out.table(
    [
      { header: "name" },
      { header: "state" },
      { header: "window" },
      { header: "started" },
      { header: "ended" },
    ],
    replays.map((r) => [
      r.ReplayName ?? "?",
      r.State === "COMPLETED"
        ? ctx.out.style.green(r.State)
        : r.State === "FAILED"
          ? ctx.out.style.red(r.State)
          : (r.State ?? "?"),
      `${r.EventStartTime?.toISOString() ?? "?"} → ${r.EventEndTime?.toISOString() ?? "?"}`,
      r.ReplayStartTime?.toISOString() ?? "",
      r.ReplayEndTime?.toISOString() ?? "",
    ]),
  );
}

function registerLogCommands(replay: Command) {
  replay
    .command("log-commands")
    .description(
      "Replay critical commands from the log to the fast lane (EventBridge bus → rules → queues): exactly those of the time window and types asked for, here and on AWS. Handlers are idempotent by event id: commands already handled change nothing.",
    )
    .requiredOption("--from <time>", "start of the window, inclusive (ISO, or e.g. 2h)")
    .option("--to <time>", "end of the window, exclusive (default: now)")
    .option(
      "--command <types>",
      "only these critical commands (comma-separated), e.g. ProcessPaymentRequested",
    )
    .option("--dry-run", "list and count what would be replayed, send nothing")
    .addHelpText(
      "after",
      `
The window is by each command's occurredAt (the time EventBridge archives it under), read from
the command topics by log time (offsets by timestamp, 5 s slack) and then filtered exactly.
An alternative to 'duplex replay archive' that honours the window and the filter everywhere
(moto's archive replay ignores both, see docs/local-parity.md).

Examples:
  duplex replay log-commands --from 2h --dry-run
  duplex replay log-commands --from 2026-11-23T10:00:00Z --to 2026-11-23T10:30:00Z --command ProcessPaymentRequested
  duplex replay log-commands --from 30m --command ReserveInventoryRequested,ProcessPaymentRequested --stage prod --yes`,
    )
    .action(
      async (
        options: { from: string; to?: string; command?: string; dryRun?: boolean },
        command: Command,
      ) =>
        run(command, async (ctx) => {
          const now = ctx.now();
          const window = parseWindow({ from: options.from, to: options.to }, now);
          const target = await ctx.target();
          const commands = selectCommands(target, options.command);
          const found = await commandsInWindow(target, window, commands);
          const what = `${count(found.events.length)} critical command(s) from ${window.from.toISOString()} to ${window.to.toISOString()} (${commands ? commands.join(", ") : "every critical command"})`;
          ctx.out.table(
            [{ header: "command" }, { header: "count", right: true }],
            Object.entries(found.byType)
              .sort()
              .map(([t, n]) => [t, count(n)]),
          );
          if (options.dryRun) {
            ctx.out.line(`would replay ${what}`);
            ctx.out.result({
              dryRun: true,
              window,
              commands: commands ?? "all",
              total: found.events.length,
              byType: found.byType,
              eventIds: found.events.map((e) => e.event.eventId),
            });
            return EXIT.ok;
          }
          const progress = ctx.out.progress();
          const started = Date.now();
          const result = await replayToFastLane(target, found.events, (sent) =>
            progress.update(
              `${progressBar(found.events.length === 0 ? 1 : sent / found.events.length)} ${count(sent)} / ${count(found.events.length)} sent  ${duration(Date.now() - started)}`,
            ),
          );
          progress.done(`replayed ${what}: ${count(result.sent)} sent to the fast lane`);
          ctx.out.result({
            dryRun: false,
            window,
            commands: commands ?? "all",
            total: found.events.length,
            byType: found.byType,
            sent: result.sent,
            failed: result.failed,
            eventIds: found.events.map((e) => e.event.eventId),
          });
          if (result.failed.length > 0) {
            throw new AttentionError(
              `${result.failed.length} command(s) were refused by the bus: ${result.failed
                .slice(0, 3)
                .map((f) => `${f.eventId} (${f.errorCode})`)
                .join(", ")}`,
              { hint: "run it again: commands already handled are no-ops" },
            );
          }
          return EXIT.ok;
        }),
    );
}

function registerLog(replay: Command) {
  replay
    .command("log")
    .description(
      "Move one consumer group (a projector's or the saga's, per topic) to a time or to offsets, so its function reads again from there. Refused while the group is active, unless --stop-consumer.",
    )
    .requiredOption(
      "-g, --group <name>",
      "the group, or a function name (with --topic if it reads several)",
    )
    .option("-t, --topic <topic>", "the topic, with --group FUNCTION")
    .option("--to-time <time>", "first record at or after this time (ISO, or e.g. 2h)")
    .option(
      "--to-offset <offsets>",
      "an offset for every partition (120) or per partition (0:120,1:98)",
    )
    .option("--to-earliest", "the start of the log")
    .option("--to-latest", "the end of the log (skips everything unprocessed)")
    .option("--dry-run", "show the lag the move would create, move nothing")
    .option(
      "--stop-consumer",
      "stop the group's consumer (local host poller / event source mapping), move, start it again",
    )
    .addHelpText(
      "after",
      `
Examples:
  duplex replay log --group order-summary-projector --topic order-events --to-time 1h --dry-run
  duplex replay log --group duplex-order-saga.payment-events --to-offset 0:120,1:98 --stop-consumer
  duplex replay log --group sales-analytics-projector --to-earliest --stop-consumer --stage prod`,
    )
    .action(
      async (
        options: {
          group: string;
          topic?: string;
          toTime?: string;
          toOffset?: string;
          toEarliest?: boolean;
          toLatest?: boolean;
          dryRun?: boolean;
          stopConsumer?: boolean;
        },
        command: Command,
      ) =>
        run(command, async (ctx) => {
          const given = [
            options.toTime,
            options.toOffset,
            options.toEarliest,
            options.toLatest,
          ].filter((o) => o !== undefined && o !== false);
          if (given.length !== 1) {
            throw new UsageError(
              "say where to move the group: exactly one of --to-time, --to-offset, --to-earliest, --to-latest",
              {
                hint: "e.g. --to-time 2h (two hours ago)",
              },
            );
          }
          const position: LogPosition =
            options.toTime !== undefined
              ? { kind: "time", at: parseTime("--to-time", options.toTime, ctx.now()) }
              : options.toOffset !== undefined
                ? { kind: "offsets", offsets: parseOffsets(options.toOffset) }
                : options.toEarliest
                  ? { kind: "earliest" }
                  : { kind: "latest" };
          const target = await ctx.target();
          const group = resolveGroup(options.group, options.topic, target.topicPrefix);
          const plan = await planLogReplay(target, group, position);
          ctx.out.line(
            `${ctx.out.style.bold(plan.groupId)} (${plan.functionName} on ${plan.topic}): ${plan.state}, ${plan.members} member(s)`,
          );
          ctx.out.table(
            [
              { header: "partition", right: true },
              { header: "committed", right: true },
              { header: "→ new", right: true },
              { header: "end", right: true },
              { header: "lag now", right: true },
              { header: "lag after", right: true },
            ],
            plan.moves.map((m) => [
              String(m.partition),
              m.from ?? "—",
              m.to,
              m.end,
              count(m.lagBefore),
              count(m.lagAfter),
            ]),
          );
          const verb =
            plan.delta >= 0
              ? `${count(plan.delta)} record(s) will be processed again`
              : `${count(-plan.delta)} unprocessed record(s) will be SKIPPED`;
          ctx.out.line(`${options.dryRun ? "would move: " : ""}${verb}`);
          if (options.dryRun) {
            if (plan.members > 0 && !options.stopConsumer)
              ctx.out.note(`the group is active: the real run needs --stop-consumer`);
            ctx.out.result({ dryRun: true, plan });
            return EXIT.ok;
          }
          await executeLogReplay(target, plan, options.stopConsumer === true);
          ctx.out.line(
            ctx.out.style.green(
              `moved ${plan.groupId}${plan.members > 0 ? "; its consumer is running again" : ""}`,
            ),
          );
          ctx.out.result({ dryRun: false, plan });
          return EXIT.ok;
        }),
    );
}

export function registerReplay(program: Command): void {
  const replay = program
    .command("replay")
    .description(
      "Replay from the EventBridge archive (fast lane), critical commands from the log to the fast lane, or from the log (a consumer group).",
    );
  registerArchive(replay);
  registerLogCommands(replay);
  registerLog(replay);
  replay
    .command("status")
    .argument("<name>", "the replay's name")
    .option("--follow", "keep showing progress until it ends")
    .description("State and progress of an archive replay.")
    .addHelpText(
      "after",
      "\nExamples:\n  duplex replay status duplex-20261123101500-ab12\n  duplex replay status after-fix-1 --follow",
    )
    .action(async (name: string, options: { follow?: boolean }, command: Command) =>
      run(command, async (ctx) => {
        const target = await ctx.target();
        if (options.follow) return follow(ctx, target, name);
        const replay = await describeReplay(target, name);
        const fraction = replayProgress(replay);
        ctx.out.line(
          `${ctx.out.style.bold(name)}: ${replay.State}${replay.StateReason ? ` (${replay.StateReason})` : ""}`,
        );
        ctx.out.line(
          `  window    ${replay.EventStartTime?.toISOString()} → ${replay.EventEndTime?.toISOString()}`,
        );
        ctx.out.line(
          `  progress  ${progressBar(fraction)} ${Math.round(fraction * 100)}%${replay.EventLastReplayedTime ? ` (up to ${replay.EventLastReplayedTime.toISOString()})` : ""}`,
        );
        ctx.out.line(
          `  started   ${replay.ReplayStartTime?.toISOString() ?? "?"}${replay.ReplayEndTime ? `, ended ${replay.ReplayEndTime.toISOString()}` : ""}`,
        );
        ctx.out.line(
          `  rules     ${replay.Destination?.FilterArns?.join(", ") || "every rule of the bus"}`,
        );
        ctx.out.result({ name, replay });
        if (replay.State === "FAILED" || replay.State === "CANCELLED") {
          throw new AttentionError(`replay ${name} ended ${replay.State}`);
        }
        return EXIT.ok;
      }),
    );
  replay
    .command("cancel")
    .argument("<name>", "the replay's name")
    .description("Cancel a running archive replay (commands already replayed stay handled).")
    .addHelpText("after", "\nExamples:\n  duplex replay cancel after-fix-1")
    .action(async (name: string, _options: unknown, command: Command) =>
      run(command, async (ctx) => {
        const target = await ctx.target();
        const state = await cancelReplay(target, name);
        ctx.out.line(`replay ${name}: ${state ?? "CANCELLING"}`);
        ctx.out.result({ name, state });
        return EXIT.ok;
      }),
    );
  replay
    .command("list")
    .description("The replays of this target's archive, newest first.")
    .addHelpText(
      "after",
      "\nExamples:\n  duplex replay list\n  duplex replay list --stage prod --json",
    )
    .action(async (_options: unknown, command: Command) =>
      run(command, async (ctx) => {
        const target = await ctx.target();
        const replays = await listReplays(target);
        if (replays.length === 0) ctx.out.line(`no replay of ${target.resources.archiveName}`);
        else showReplay(ctx, replays);
        ctx.out.result({ target: target.label, replays });
        return EXIT.ok;
      }),
    );
}

/** What the local emulator does differently with a replay, for a note; nothing on AWS. */
function localReplayNote(target: Target): string | undefined {
  switch (target.emulator) {
    case "moto":
      return "local emulator: moto replays the WHOLE archive to every rule, ignoring the window and --commands (docs/local-parity.md)";
    case "localstack":
      return "local emulator: LocalStack 4.14.0's StartReplay fails (HTTP 500) once the archive holds an event; replay from the log instead (docs/local-parity.md)";
    default:
      return undefined;
  }
}

/**
 * Whether LocalStack's StartReplay failed as docs/local-parity.md describes: HTTP 500; or, when
 * the SDK retried that 500, `ResourceAlreadyExistsException`, since LocalStack records the replay
 * (left STARTING) before it fails, so the retry finds the name taken.
 */
export function localStackReplayFailed(error: unknown): boolean {
  const { name, $metadata } = error as {
    name?: string;
    $metadata?: { httpStatusCode?: number; attempts?: number };
  };
  if ($metadata?.httpStatusCode === 500) return true;
  return name === "ResourceAlreadyExistsException" && ($metadata?.attempts ?? 1) > 1;
}
