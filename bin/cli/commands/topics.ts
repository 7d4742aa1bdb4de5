import type { Command } from "commander";
import { topicsFor } from "../../../events/topics.ts";
import { physicalTopic } from "../../../functions/kit/log/namespace.ts";
import {
  applyTopicChanges,
  describeTopicChange,
  diffTopics,
  type TopicChange,
} from "../../../functions/kit/topics-sync.ts";
import { type Context, run } from "../context.ts";
import { EXIT } from "../exit-codes.ts";
import type { Target } from "../target/target.ts";

/** The catalog's topics against the target's cluster, limited to the target's namespace. */
export async function diffTargetTopics(target: Target): Promise<TopicChange[]> {
  const desired = topicsFor(target.topicEnvironment).map((t) => ({
    ...t,
    name: physicalTopic(target.topicPrefix, t.name) as typeof t.name,
  }));
  const changes = await diffTopics(target.admin, desired);
  // Locally, other sessions' topics share the broker: only this namespace's extras count.
  return changes.filter(
    (c) =>
      c.kind !== "extra" ||
      (target.topicPrefix === "" ? !c.topic.includes(".") : c.topic.startsWith(target.topicPrefix)),
  );
}

function label(change: TopicChange): string {
  switch (change.kind) {
    case "create":
      return "missing";
    case "add-partitions":
      return "partitions";
    case "alter-configs":
      return "configs";
    case "unsafe":
      return "UNSAFE";
    case "extra":
      return "extra";
  }
}

function show(ctx: Context, changes: readonly TopicChange[]) {
  const { style } = ctx.out;
  for (const change of changes) {
    const tag = label(change);
    const coloured =
      change.kind === "unsafe"
        ? style.red(tag)
        : change.kind === "extra"
          ? style.dim(tag)
          : style.yellow(tag);
    ctx.out.line(
      `${coloured.padEnd(coloured.length - tag.length + 10)} ${describeTopicChange(change)}`,
    );
  }
}

export function registerTopics(program: Command): void {
  const topics = program
    .command("topics")
    .description("The catalog's topics (partitions, retention, replication) against the cluster.");
  topics
    .command("diff")
    .description(
      "List missing topics and wrong partitions or configs. Exit 1 when anything differs.",
    )
    .addHelpText(
      "after",
      `
Examples:
  duplex topics diff
  duplex topics diff --stage prod --json`,
    )
    .action(async (_options: unknown, command: Command) =>
      run(command, async (ctx) => {
        const target = await ctx.target();
        const changes = await diffTargetTopics(target);
        const actionable = changes.filter((c) => c.kind !== "extra");
        if (changes.length === 0)
          ctx.out.line(ctx.out.style.green(`${target.label}: every topic matches the catalog`));
        else show(ctx, changes);
        ctx.out.result({ target: target.label, inSync: actionable.length === 0, changes });
        if (actionable.length > 0) {
          ctx.out.note("fix what is safe with: duplex topics apply");
          return EXIT.attention;
        }
        return EXIT.ok;
      }),
    );
  topics
    .command("apply")
    .description(
      "Create missing topics, add partitions, set configs; explain what cannot be done safely (fewer partitions, replication). Exit 1 if something was left.",
    )
    .option("--dry-run", "show what would be done, change nothing")
    .addHelpText(
      "after",
      `
Examples:
  duplex topics apply --dry-run
  duplex topics apply --stage dev`,
    )
    .action(async (options: { dryRun?: boolean }, command: Command) =>
      run(command, async (ctx) => {
        const target = await ctx.target();
        const changes = (await diffTargetTopics(target)).filter((c) => c.kind !== "extra");
        if (changes.length === 0) {
          ctx.out.line(ctx.out.style.green(`${target.label}: nothing to do`));
          ctx.out.result({ target: target.label, applied: [], skipped: [] });
          return EXIT.ok;
        }
        if (options.dryRun) {
          ctx.out.line("would apply:");
          show(
            ctx,
            changes.filter((c) => c.kind !== "unsafe"),
          );
          const unsafe = changes.filter((c) => c.kind === "unsafe");
          if (unsafe.length > 0) {
            ctx.out.line("would leave (not safe to apply):");
            show(ctx, unsafe);
          }
          ctx.out.result({ target: target.label, dryRun: true, changes });
          return EXIT.ok;
        }
        const { applied, skipped } = await applyTopicChanges(target.admin, changes);
        for (const change of applied)
          ctx.out.line(`${ctx.out.style.green("applied")}  ${describeTopicChange(change)}`);
        for (const change of skipped)
          ctx.out.line(`${ctx.out.style.red("left")}     ${describeTopicChange(change)}`);
        ctx.out.result({ target: target.label, applied, skipped });
        return skipped.length > 0 ? EXIT.attention : EXIT.ok;
      }),
    );
}
