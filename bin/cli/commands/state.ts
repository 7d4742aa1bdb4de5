import type { Command } from "commander";
import { aggregates, isAggregateType } from "../../../functions/domain/aggregates.ts";
import { aggregateStateAt } from "../../../functions/kit/log-query/aggregate-state.ts";
import { run } from "../context.ts";
import { NotFoundError, UsageError } from "../errors.ts";
import { EXIT } from "../exit-codes.ts";
import { time } from "../output/format.ts";
import { readModelStore } from "../projection/projections.ts";
import { parseTime } from "../time.ts";

export function registerState(program: Command): void {
  program
    .command("state")
    .argument("<aggregateType>", `one of: ${Object.keys(aggregates).join(", ")}`)
    .argument("<id>", "the aggregate's id (order id, product id, ...)")
    .description(
      "A temporal query: an aggregate's state as of a moment, folded from its events on the log with the domain's own evolve functions, next to its event timeline.",
    )
    .option("--at <time>", "the moment (ISO, or e.g. 30m for thirty minutes ago)", "now")
    .addHelpText(
      "after",
      `
An aggregate whose facts are all keyed by its id (all but Product) is read from one partition
per topic (Kafka's murmur2 partitioner), from its first fact (read models) to --at.

Examples:
  duplex state Order o-42
  duplex state Product p-kettle --at 2026-11-23T10:15:00Z
  duplex state Payment o-42 --at 10m --json`,
    )
    .action(async (aggregateType: string, id: string, options: { at: string }, command: Command) =>
      run(command, async (ctx) => {
        if (!isAggregateType(aggregateType)) {
          throw new UsageError(`unknown aggregate type '${aggregateType}'`, {
            hint: `one of: ${Object.keys(aggregates).join(", ")} (e.g. duplex state Order o-42)`,
          });
        }
        const at = parseTime("--at", options.at, ctx.now());
        const target = await ctx.target();
        const { state, events } = await aggregateStateAt(
          target,
          aggregateType,
          id,
          at,
          readModelStore(target),
        );
        if (events.length === 0) {
          throw new NotFoundError(
            `${aggregateType} ${id} has no event on the log up to ${at.toISOString()} in ${target.label}`,
            {
              hint: "check the id, or a later --at; events older than the topic's retention are gone",
            },
          );
        }
        ctx.out.line(ctx.out.style.bold(`${aggregateType} ${id} as of ${at.toISOString()}`));
        ctx.out.line(JSON.stringify(state, null, 2));
        ctx.out.line();
        ctx.out.table(
          [
            { header: "time" },
            { header: "event" },
            { header: "seq", right: true },
            { header: "data" },
          ],
          events
            .map((e) => [
              time(e.event.occurredAt),
              e.event.eventType,
              e.event.sequence === undefined ? "" : String(e.event.sequence),
              JSON.stringify(e.event.data),
            ])
            .map((row) => [...row.slice(0, 3), (row[3] ?? "").slice(0, 100)]),
        );
        ctx.out.result({
          aggregateType,
          aggregateId: id,
          at: at.toISOString(),
          state,
          events: events.map((e) => e.event),
        });
        return EXIT.ok;
      }),
    );
}
