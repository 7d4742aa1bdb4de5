import type { Command } from "commander";
import { DEAD_LETTER_TOPIC } from "../../../events/topics.ts";
import type { LoggedEvent } from "../../../functions/kit/log-query/events.ts";
import { causationDepths, flowTimeline } from "../../../functions/kit/log-query/flows.ts";
import { type Context, run } from "../context.ts";
import { NotFoundError } from "../errors.ts";
import { EXIT } from "../exit-codes.ts";
import { duration, time } from "../output/format.ts";
import { readModelStore } from "../projection/projections.ts";
import { parseTime } from "../time.ts";

function render(ctx: Context, events: readonly LoggedEvent[]) {
  const { style } = ctx.out;
  const start = Date.parse(events[0]?.event.occurredAt ?? "");
  const depths = causationDepths(events);
  ctx.out.table(
    [
      { header: "+", right: true },
      { header: "time" },
      { header: "topic" },
      { header: "event" },
      { header: "aggregate" },
      { header: "seq", right: true },
      { header: "event id" },
    ],
    events.map((e) => {
      const depth = depths.get(e.event.eventId) ?? 0;
      const name = `${"  ".repeat(depth)}${depth > 0 ? "└ " : ""}${e.event.eventType}`;
      const deadLettered = e.topic === DEAD_LETTER_TOPIC;
      return [
        duration(Date.parse(e.event.occurredAt) - start),
        time(e.event.occurredAt),
        deadLettered ? style.red(e.topic) : e.topic,
        e.event.eventType.endsWith("Requested") ? style.cyan(name) : name,
        `${e.event.aggregateType} ${e.event.aggregateId}`,
        e.event.sequence === undefined ? "" : String(e.event.sequence),
        style.dim(e.event.eventId),
      ];
    }),
  );
}

export function registerTrace(program: Command): void {
  program
    .command("trace")
    .argument("<correlationId>", "the flow's correlation id (the id of its first command)")
    .description(
      "Every event of one flow across all topics (commands, facts, dead letters), in time order, as a causation tree.",
    )
    .option("--since <time>", "read the log from this time (ISO or e.g. 2h)", "24h")
    .option("--until <time>", "read the log up to this time", "now")
    .option("--full", "read up to --until even when the order summary says the order ended earlier")
    .addHelpText(
      "after",
      `
The flow's first command is found by the time in its id (UUIDv7), then only the partition of
its key is read on each topic (Kafka's murmur2 partitioner), from that time on; a finished order
is read up to 15 minutes after its last fact (order summary). Other ids: every partition.

Examples:
  duplex trace 01a2091d-2c0c-7020-99ad-575e9c436fcb
  duplex trace 01a2091d-... --since 7d --stage prod
  duplex trace 01a2091d-... --json | jq '.events[].eventType'`,
    )
    .action(
      async (
        correlationId: string,
        options: { since: string; until: string; full?: boolean },
        command: Command,
      ) =>
        run(command, async (ctx) => {
          const now = ctx.now();
          const since = parseTime("--since", options.since, now);
          const until = parseTime("--until", options.until, now);
          const target = await ctx.target();
          const events = await flowTimeline(
            target,
            correlationId,
            { fromMs: since.getTime(), toMs: until.getTime() + 5_000 },
            { readModels: readModelStore(target), full: options.full === true },
          );
          if (events.length === 0) {
            throw new NotFoundError(
              `no event with correlation id ${correlationId} in ${target.label} between ${since.toISOString()} and ${until.toISOString()}`,
              {
                hint: "widen the window (--since 7d), or check the id: it is the id of the flow's first command",
              },
            );
          }
          const first = events[0]?.event.occurredAt ?? "";
          const last = events[events.length - 1]?.event.occurredAt ?? "";
          ctx.out.line(
            `${ctx.out.style.bold(`flow ${correlationId}`)}: ${events.length} event(s) over ${duration(Date.parse(last) - Date.parse(first))}, last: ${events[events.length - 1]?.event.eventType}`,
          );
          render(ctx, events);
          ctx.out.result({
            correlationId,
            events: events.map((e) => ({
              ...e.event,
              topic: e.topic,
              partition: e.partition,
              offset: e.offset,
            })),
          });
          return EXIT.ok;
        }),
    );
}
