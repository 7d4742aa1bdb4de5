import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { type Context, run } from "../context.ts";
import { destinationNamed, destinations } from "../dlq/destinations.ts";
import {
  contents,
  type SettleReporter,
  settleDestination,
  summarize,
  where,
} from "../dlq/settle.ts";
import {
  type DeadLetter,
  type DeadLetterFilter,
  describeFilter,
  matches,
  parseFilter,
} from "../dlq/view.ts";
import { UsageError } from "../errors.ts";
import { EXIT } from "../exit-codes.ts";
import { age, count } from "../output/format.ts";
import { parseTime } from "../time.ts";

interface FilterOptions {
  readonly type?: string;
  readonly id?: string;
  readonly since?: string;
}

const filterHelp = (command: Command) =>
  command
    .option("--type <types>", "only these event types (comma-separated)")
    .option(
      "--id <ids>",
      "only these ids: event id, aggregate id, correlation id or message id (comma-separated)",
    )
    .option(
      "--since <time>",
      "only dead letters that failed at or after this time (ISO or e.g. 1h)",
    );

function showLetters(ctx: Context, letters: readonly DeadLetter[], full: boolean) {
  const now = Date.now();
  if (full) {
    for (const l of letters) {
      ctx.out.line(ctx.out.style.bold(`${l.destination} ${l.id}`));
      ctx.out.line(`  event     ${l.eventType ?? "?"} ${l.eventId ?? ""}`);
      ctx.out.line(`  aggregate ${l.aggregate ?? "?"}   flow ${l.correlationId ?? "?"}`);
      ctx.out.line(
        `  failed    ${l.since ?? "?"} (${age(l.since, now)} ago)${l.receiveCount ? `, ${l.receiveCount} receive(s)` : ""}${l.replayName ? `, from replay ${l.replayName}` : ""}`,
      );
      ctx.out.line(`  reason    ${ctx.out.style.red(`${l.code ? `${l.code}: ` : ""}${l.reason}`)}`);
      ctx.out.line(`  function  ${l.functionName ?? "?"}   redrive → ${l.redriveTo ?? "?"}`);
      ctx.out.line(`  body      ${JSON.stringify(l.body)}`);
      ctx.out.line();
    }
    return;
  }
  ctx.out.table(
    [
      { header: "id", max: 38 },
      { header: "age", right: true },
      { header: "event" },
      { header: "aggregate", max: 40 },
      { header: "reason", max: 90 },
    ],
    letters.map((l) => [
      l.id,
      age(l.since, now),
      l.eventType ?? "?",
      l.aggregate ?? "?",
      `${l.code ? `${l.code}: ` : ""}${l.reason}`,
    ]),
  );
}

async function confirm(ctx: Context, question: string): Promise<boolean> {
  if (ctx.yes || !process.stdin.isTTY || ctx.out.json) return true;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

function filterOf(ctx: Context, options: FilterOptions): DeadLetterFilter {
  return parseFilter({
    type: options.type,
    id: options.id,
    since: options.since === undefined ? undefined : parseTime("--since", options.since, ctx.now()),
  });
}

/** The CLI's reporter: lines and tables on the output, a confirmation prompt, a progress bar. */
function reporterOf(ctx: Context): SettleReporter {
  return {
    line: (text) => ctx.out.line(text),
    note: (text) => ctx.out.note(text),
    dryRun: (letters) => showLetters(ctx, letters, false),
    confirm: (question) => confirm(ctx, question),
    progress: () => ctx.out.progress(),
  };
}

function registerSettle(dlq: Command, action: "redrive" | "purge") {
  const command = dlq
    .command(action)
    .argument("[name]", "the destination, as 'duplex dlq list' names it (or --all)")
    .description(
      action === "redrive"
        ? "Send dead letters back to where they came from (all, or a filtered subset). Checks every target exists first: if one does not, nothing moves."
        : "Drop dead letters that will never succeed (deleted from a queue; marked settled in the dead-letters topic).",
    )
    .option("--all", "every destination")
    .option("--dry-run", "show what would move, move nothing");
  filterHelp(command)
    .addHelpText(
      "after",
      action === "redrive"
        ? `
Examples:
  duplex dlq redrive ProcessPaymentRequested --dry-run
  duplex dlq redrive ProcessPaymentRequested --yes
  duplex dlq redrive dead-letters --type OrderPlaced --since 2h
  duplex dlq redrive --all --yes --stage prod`
        : `
Examples:
  duplex dlq purge dead-letters --id 1:42 --yes`,
    )
    .action(
      async (
        name: string | undefined,
        options: FilterOptions & { all?: boolean; dryRun?: boolean },
        cmd: Command,
      ) =>
        run(cmd, async (ctx) => {
          if ((name === undefined) === (options.all !== true)) {
            throw new UsageError(`say which destination to ${action}, or --all`, {
              hint: `duplex dlq ${action} ProcessPaymentRequested (see: duplex dlq list)`,
            });
          }
          const filter = filterOf(ctx, options);
          const target = await ctx.target();
          const chosen =
            name === undefined ? destinations(target) : [destinationNamed(target, name)];
          const results = [];
          for (const destination of chosen) {
            results.push(
              await settleDestination(
                reporterOf(ctx),
                target,
                destination,
                filter,
                action,
                options.dryRun === true,
              ),
            );
          }
          const matched = results.reduce((n, r) => n + r.matched, 0);
          if (matched === 0) ctx.out.line(`nothing matches (${describeFilter(filter)})`);
          ctx.out.result({
            target: target.label,
            action,
            dryRun: options.dryRun === true,
            filter: describeFilter(filter),
            results,
          });
          return results.some((r) => r.settled < r.matched && options.dryRun !== true)
            ? EXIT.attention
            : EXIT.ok;
        }),
    );
}

export function registerDlq(program: Command): void {
  const dlq = program
    .command("dlq")
    .description(
      "Dead letters: every command queue's DLQ, the rule-target DLQ(s), and the log's dead-letters topic.",
    );
  dlq
    .command("list")
    .description(
      "Each dead-letter destination: how many dead letters, the oldest's age, where a redrive sends them.",
    )
    .option("--all", "also list empty destinations")
    .addHelpText(
      "after",
      "\nExamples:\n  duplex dlq list\n  duplex dlq list --all --stage prod --json",
    )
    .action(async (options: { all?: boolean }, command: Command) =>
      run(command, async (ctx) => {
        const target = await ctx.target();
        const rows = [];
        for (const destination of destinations(target)) {
          const {
            count: pending,
            oldest: first,
            settled: settledCount,
          } = await summarize(target, destination);
          rows.push({
            name: destination.name,
            kind: destination.kind,
            queue: destination.kind === "topic" ? destination.topic : destination.queue.name,
            count: pending,
            oldest: first,
            redriveTo: where(destination),
            ...(settledCount === undefined ? {} : { settled: settledCount }),
          });
        }
        const shown = options.all ? rows : rows.filter((r) => r.count !== 0);
        const now = Date.now();
        if (shown.length === 0)
          ctx.out.line(
            ctx.out.style.green(`${target.label}: every dead-letter destination is empty`),
          );
        else
          ctx.out.table(
            [
              { header: "name" },
              { header: "kind" },
              { header: "count", right: true },
              { header: "oldest", right: true },
              { header: "redrive to" },
            ],
            shown.map((r) => [
              r.name,
              r.kind,
              r.count === undefined
                ? ctx.out.style.red("missing")
                : r.count > 0
                  ? ctx.out.style.yellow(count(r.count))
                  : "0",
              r.oldest === undefined ? "" : age(r.oldest, now),
              r.redriveTo,
            ]),
          );
        ctx.out.result({ target: target.label, destinations: rows });
        return EXIT.ok;
      }),
    );
  const show = dlq
    .command("show")
    .argument("<name>", "the destination, as 'duplex dlq list' names it")
    .description(
      "The dead letters of one destination, readable: event, aggregate, age, failure reason.",
    )
    .option("-n, --limit <n>", "at most this many", "50")
    .option("--full", "every field and the body of each");
  filterHelp(show)
    .addHelpText(
      "after",
      "\nExamples:\n  duplex dlq show ProcessPaymentRequested\n  duplex dlq show dead-letters --full --type OrderPlaced\n  duplex dlq show ProcessPaymentRequested --json | jq '.letters[].reason'",
    )
    .action(
      async (
        name: string,
        options: FilterOptions & { limit: string; full?: boolean },
        command: Command,
      ) =>
        run(command, async (ctx) => {
          const limit = Number(options.limit);
          if (!Number.isInteger(limit) || limit <= 0)
            throw new UsageError(`--limit '${options.limit}' is not a positive integer`, {
              hint: "e.g. --limit 20",
            });
          const filter = filterOf(ctx, options);
          const target = await ctx.target();
          const destination = destinationNamed(target, name);
          const found = await contents(target, destination, 20);
          await found.release();
          const letters = found.letters.filter((l) => matches(l, filter));
          ctx.out.line(
            `${destination.name}: ${letters.length} dead letter(s)${filter.types || filter.ids || filter.since ? ` matching ${describeFilter(filter)}` : ""}${found.settled ? `, ${found.settled} settled earlier` : ""}`,
          );
          showLetters(ctx, letters.slice(0, limit), options.full === true);
          if (letters.length > limit)
            ctx.out.note(`… ${letters.length - limit} more (--limit ${letters.length})`);
          ctx.out.result({
            target: target.label,
            destination: destination.name,
            count: letters.length,
            letters: letters.slice(0, limit),
          });
          return EXIT.ok;
        }),
    );
  registerSettle(dlq, "redrive");
  registerSettle(dlq, "purge");
}
