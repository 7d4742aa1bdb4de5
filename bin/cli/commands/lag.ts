import type { Command } from "commander";
import { declaredGroups } from "../../../functions/kit/log-query/groups.ts";
import { type GroupLag, measureLag } from "../../../functions/kit/log-query/lag.ts";
import { type Context, run } from "../context.ts";
import { EXIT } from "../exit-codes.ts";
import { resolveGroup } from "../log/groups.ts";
import { age, count } from "../output/format.ts";
import { durationOption } from "../time.ts";

interface LagOptions {
  readonly group?: string;
  readonly topic?: string;
  readonly partitions?: boolean;
  readonly watch?: string | boolean;
}

function render(ctx: Context, lags: readonly GroupLag[], options: LagOptions, now: number) {
  const { style } = ctx.out;
  if (options.partitions) {
    ctx.out.table(
      [
        { header: "group" },
        { header: "partition", right: true },
        { header: "committed", right: true },
        { header: "end", right: true },
        { header: "lag", right: true },
        { header: "oldest unprocessed", right: true },
      ],
      lags.flatMap((g) =>
        g.partitions.map((p) => [
          g.groupId,
          String(p.partition),
          p.committed ?? "—",
          p.end,
          p.lag > 0 ? style.yellow(count(p.lag)) : "0",
          p.oldestUnprocessedAt === undefined ? "" : age(p.oldestUnprocessedAt, now),
        ]),
      ),
    );
    return;
  }
  ctx.out.table(
    [
      { header: "group" },
      { header: "state" },
      { header: "members", right: true },
      { header: "committed", right: true },
      { header: "end", right: true },
      { header: "lag", right: true },
      { header: "oldest unprocessed", right: true },
    ],
    lags.map((g) => [
      g.groupId,
      g.state === "Stable" ? g.state : style.dim(g.state),
      String(g.members),
      count(g.partitions.reduce((n, p) => n + Number(p.committed ?? 0), 0)),
      count(g.partitions.reduce((n, p) => n + Number(p.end), 0)),
      g.lag > 0 ? style.yellow(count(g.lag)) : style.green("0"),
      g.oldestUnprocessedAt === undefined ? "" : age(g.oldestUnprocessedAt, now),
    ]),
  );
}

export function registerLag(program: Command): void {
  program
    .command("lag")
    .description(
      "Per consumer group (one per function × topic) and partition: committed offset, end offset, lag, and the age of the oldest unprocessed event.",
    )
    .option(
      "-g, --group <name>",
      "one group: its name, or a function name (with --topic if it reads several)",
    )
    .option("-t, --topic <topic>", "the topic, with --group FUNCTION")
    .option("-p, --partitions", "one row per partition")
    .option("-w, --watch [interval]", "refresh every interval (default 2s) until Ctrl-C")
    .addHelpText(
      "after",
      `
Examples:
  duplex lag                                   every group of the demo session
  duplex lag --group order-saga --topic payment-events --partitions
  duplex lag --watch 5s --stage prod           on AWS, refreshed every 5 s
  duplex lag --json | jq '.groups[] | select(.lag > 0)'`,
    )
    .action(async (options: LagOptions, command: Command) =>
      run(command, async (ctx) => {
        const target = await ctx.target();
        const groups =
          options.group === undefined
            ? declaredGroups()
            : [resolveGroup(options.group, options.topic, target.topicPrefix)];
        const interval =
          options.watch === undefined || options.watch === false
            ? undefined
            : durationOption("--watch", options.watch === true ? "2s" : options.watch);
        for (;;) {
          const lags = await measureLag(target, groups);
          const now = Date.now();
          if (interval !== undefined && !ctx.out.json && process.stdout.isTTY) {
            process.stdout.write("\u001b[2J\u001b[H");
          }
          if (interval !== undefined) {
            ctx.out.line(
              ctx.out.style.dim(
                `${target.label} — ${new Date(now).toISOString()} — every ${interval / 1000} s, Ctrl-C to stop`,
              ),
            );
          }
          render(ctx, lags, options, now);
          ctx.out.result({ target: target.label, at: new Date(now).toISOString(), groups: lags });
          if (interval === undefined) return EXIT.ok;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, interval);
            ctx.signal.addEventListener("abort", () => {
              clearTimeout(timer);
              resolve();
            });
          });
          if (ctx.signal.aborted) return EXIT.ok;
        }
      }),
    );
}
