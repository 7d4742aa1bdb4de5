import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { type Context, run } from "../context.ts";
import { type Destination, destinationNamed, destinations } from "../dlq/destinations.ts";
import {
  assertQueueExists,
  type HeldMessage,
  holdMessages,
  moveMessages,
  queueDepth,
  visibilityTimeoutOf,
} from "../dlq/sqs.ts";
import {
  assertTopicsExist,
  readTopicLetters,
  settleTopicLetters,
  type TopicLetter,
} from "../dlq/topic.ts";
import {
  type DeadLetter,
  type DeadLetterFilter,
  describeFilter,
  matches,
  parseFilter,
} from "../dlq/view.ts";
import { RefusedError, UsageError } from "../errors.ts";
import { EXIT } from "../exit-codes.ts";
import { age, count } from "../output/format.ts";
import { progressBar } from "../output/progress.ts";
import type { Target } from "../target/target.ts";
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

/** What a destination holds: the letters (all, for SQS held invisible until released). */
interface Contents {
  readonly destination: Destination;
  readonly letters: readonly DeadLetter[];
  readonly settled?: number;
  readonly held?: readonly HeldMessage[];
  readonly topicLetters?: readonly TopicLetter[];
  release(keep?: readonly DeadLetter[]): Promise<void>;
}

async function contents(
  target: Target,
  destination: Destination,
  holdSeconds: number,
  limit = 10_000,
): Promise<Contents> {
  if (destination.kind === "topic") {
    const { pending, settled } = await readTopicLetters(target, destination);
    return {
      destination,
      letters: pending.map((p) => p.letter),
      settled,
      topicLetters: pending,
      release: async () => undefined,
    };
  }
  const { held, release } = await holdMessages(target, destination, { limit, holdSeconds });
  return {
    destination,
    letters: held.map((h) => h.letter),
    held,
    release: async (only) => {
      const ids = only === undefined ? undefined : new Set(only.map((l) => l.id));
      await release(ids === undefined ? undefined : held.filter((h) => ids.has(h.letter.id)));
    },
  };
}

function oldest(letters: readonly DeadLetter[]): string | undefined {
  return letters
    .map((l) => l.since)
    .filter((s): s is string => s !== undefined)
    .sort()[0];
}

function where(destination: Destination): string {
  switch (destination.kind) {
    case "queue":
      return `queue ${destination.source.name}`;
    case "rule-target":
      return "the queue each message names";
    case "topic":
      return "each record's original topic";
  }
}

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

/** Redrive or purge one destination's matching letters. Returns [settled, left, failed]. */
async function settle(
  ctx: Context,
  target: Target,
  destination: Destination,
  filter: DeadLetterFilter,
  action: "redrive" | "purge",
  dryRun: boolean,
): Promise<{
  destination: string;
  matched: number;
  settled: number;
  left: number;
  letters: DeadLetter[];
}> {
  const found = await contents(target, destination, 300);
  const chosen = found.letters.filter((l) => matches(l, filter));
  const others = found.letters.filter((l) => !matches(l, filter));
  try {
    if (chosen.length === 0) {
      await found.release();
      return {
        destination: destination.name,
        matched: 0,
        settled: 0,
        left: found.letters.length,
        letters: [],
      };
    }
    // Check every target before anything moves: a missing queue or topic moves nothing.
    if (action === "redrive") {
      if (destination.kind === "topic") {
        await assertTopicsExist(
          target,
          (found.topicLetters ?? []).filter((t) => chosen.includes(t.letter)),
        );
      } else {
        for (const url of new Set(chosen.map((l) => l.redriveTo))) {
          if (url === undefined) {
            throw new RefusedError(
              `a message in ${destination.name} does not say which queue it was meant for; nothing was moved`,
              {
                hint: "narrow the selection with --id/--type, or purge it",
              },
            );
          }
          await assertQueueExists(target.sqs, url, `redrive of ${destination.name}`);
        }
      }
    }
    ctx.out.line(
      `${dryRun ? "would " : ""}${action} ${count(chosen.length)} of ${count(found.letters.length)} from ${destination.name} → ${action === "purge" ? "nowhere (deleted)" : where(destination)}`,
    );
    if (dryRun) {
      showLetters(ctx, chosen, false);
      await found.release();
      return {
        destination: destination.name,
        matched: chosen.length,
        settled: 0,
        left: found.letters.length,
        letters: chosen,
      };
    }
    if (!(await confirm(ctx, `${action} ${chosen.length} message(s) from ${destination.name}?`))) {
      await found.release();
      throw new UsageError("not confirmed; nothing was moved", {
        hint: "pass --yes to skip the question",
      });
    }
    const progress = ctx.out.progress();
    const onProgress = (done: number) =>
      progress.update(
        `${progressBar(done / chosen.length)} ${done}/${chosen.length} ${action === "redrive" ? "redriven" : "purged"}`,
      );
    let settled: number;
    if (destination.kind === "topic") {
      const ids = new Set(chosen.map((l) => l.id));
      settled = await settleTopicLetters(
        target,
        destination,
        (found.topicLetters ?? []).filter((t) => ids.has(t.letter.id)),
        action,
        onProgress,
      );
    } else {
      const ids = new Set(chosen.map((l) => l.id));
      settled = await moveMessages(
        target,
        destination,
        (found.held ?? []).filter((h) => ids.has(h.letter.id)),
        action,
        onProgress,
      );
    }
    progress.done(
      `${action === "redrive" ? "redriven" : "purged"} ${settled}/${chosen.length} from ${destination.name}`,
    );
    if (action === "redrive" && destination.kind === "queue") {
      // SQS moves a message on the receive after its last failed one: copies that failed for the
      // last time just before a fix still arrive here up to one visibility timeout later.
      const seconds = await visibilityTimeoutOf(target.sqs, destination.source);
      ctx.out.note(
        `messages still in flight in ${destination.source.name} may land here for up to ${seconds === undefined ? "one visibility timeout" : `${seconds} s`} more; run 'duplex dlq list' again after that and redrive them too (handled commands are not applied twice)`,
      );
    }
    await found.release(others);
    return {
      destination: destination.name,
      matched: chosen.length,
      settled,
      left: found.letters.length - settled,
      letters: chosen,
    };
  } catch (error) {
    await found.release();
    throw error;
  }
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
              await settle(ctx, target, destination, filter, action, options.dryRun === true),
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
          let pending: number | undefined;
          let first: string | undefined;
          let settledCount: number | undefined;
          if (destination.kind === "topic") {
            const found = await contents(target, destination, 0);
            pending = found.letters.length;
            first = oldest(found.letters);
            settledCount = found.settled;
          } else {
            pending = await queueDepth(target.sqs, destination.queue);
            if (pending !== undefined && pending > 0) {
              const found = await contents(target, destination, 10, 200);
              first = oldest(found.letters);
              await found.release();
            }
          }
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
