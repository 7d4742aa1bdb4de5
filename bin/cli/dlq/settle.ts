import { RefusedError, UsageError } from "../errors.ts";
import { count } from "../output/format.ts";
import { progressBar } from "../output/progress.ts";
import type { Target } from "../target/target.ts";
import type { Destination } from "./destinations.ts";
import {
  assertQueueExists,
  type HeldMessage,
  holdMessages,
  moveMessages,
  queueDepth,
  visibilityTimeoutOf,
} from "./sqs.ts";
import {
  assertTopicsExist,
  readTopicLetters,
  settleTopicLetters,
  type TopicLetter,
} from "./topic.ts";
import { type DeadLetter, type DeadLetterFilter, matches } from "./view.ts";

/**
 * Reading and settling (redriving or purging) one dead-letter destination: shared by the
 * `duplex dlq` commands and the console.
 */

/** What a destination holds: the letters (all, for SQS held invisible until released). */
export interface Contents {
  readonly destination: Destination;
  readonly letters: readonly DeadLetter[];
  readonly settled?: number;
  readonly held?: readonly HeldMessage[];
  readonly topicLetters?: readonly TopicLetter[];
  release(keep?: readonly DeadLetter[]): Promise<void>;
}

export async function contents(
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

export function oldest(letters: readonly DeadLetter[]): string | undefined {
  return letters
    .map((l) => l.since)
    .filter((s): s is string => s !== undefined)
    .sort()[0];
}

export function where(destination: Destination): string {
  switch (destination.kind) {
    case "queue":
      return `queue ${destination.source.name}`;
    case "rule-target":
      return "the queue each message names";
    case "topic":
      return "each record's original topic";
  }
}

/** How many letters wait in a destination, the oldest's time, and (topic) how many were settled. */
export async function summarize(
  target: Target,
  destination: Destination,
): Promise<{ count: number | undefined; oldest: string | undefined; settled?: number }> {
  if (destination.kind === "topic") {
    const found = await contents(target, destination, 0);
    return {
      count: found.letters.length,
      oldest: oldest(found.letters),
      ...(found.settled === undefined ? {} : { settled: found.settled }),
    };
  }
  const count = await queueDepth(target.sqs, destination.queue);
  if (count === undefined || count === 0) return { count, oldest: undefined };
  const found = await contents(target, destination, 10, 200);
  await found.release();
  return { count, oldest: oldest(found.letters) };
}

/** How a settle reports to whoever asked (the CLI's output, or nothing for the console). */
export interface SettleReporter {
  line(text: string): void;
  note(text: string): void;
  /** The letters a dry run would move. */
  dryRun(letters: readonly DeadLetter[]): void;
  confirm(question: string): Promise<boolean>;
  progress(): { update(text: string): void; done(text: string): void };
}

/** What a redrive or purge of one destination did. */
export interface SettleResult {
  readonly destination: string;
  readonly matched: number;
  readonly settled: number;
  readonly left: number;
  readonly letters: DeadLetter[];
}

/**
 * Redrives or purges one destination's matching letters: every redrive target is checked first
 * (a missing queue or topic moves nothing), a dry run moves nothing, and letters not chosen are
 * released. `duplex dlq redrive|purge` and the console's redrive button both call this.
 */
export async function settleDestination(
  reporter: SettleReporter,
  target: Target,
  destination: Destination,
  filter: DeadLetterFilter,
  action: "redrive" | "purge",
  dryRun: boolean,
): Promise<SettleResult> {
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
    reporter.line(
      `${dryRun ? "would " : ""}${action} ${count(chosen.length)} of ${count(found.letters.length)} from ${destination.name} → ${action === "purge" ? "nowhere (deleted)" : where(destination)}`,
    );
    if (dryRun) {
      reporter.dryRun(chosen);
      await found.release();
      return {
        destination: destination.name,
        matched: chosen.length,
        settled: 0,
        left: found.letters.length,
        letters: chosen,
      };
    }
    if (
      !(await reporter.confirm(`${action} ${chosen.length} message(s) from ${destination.name}?`))
    ) {
      await found.release();
      throw new UsageError("not confirmed; nothing was moved", {
        hint: "pass --yes to skip the question",
      });
    }
    const progress = reporter.progress();
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
      reporter.note(
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
