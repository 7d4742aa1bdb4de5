import type { Command } from "commander";
import { compareVersions, type ViewDifference } from "../../../functions/kit/rebuild.ts";
import { type Context, run } from "../context.ts";
import { AttentionError, RefusedError, UsageError } from "../errors.ts";
import { EXIT } from "../exit-codes.ts";
import { count, duration, rate } from "../output/format.ts";
import { progressBar } from "../output/progress.ts";
import {
  projectionNamed,
  projectionNames,
  readModelStore,
  rebuildRecords,
} from "../projection/projections.ts";
import {
  rebuildIntoNewVersion,
  resumableVersion,
  waitForLiveToSettle,
} from "../projection/rebuild.ts";
import type { Target } from "../target/target.ts";

/** Differences that persist: compared twice, a short moment apart (live writes land one by one). */
async function stableDifferences(
  target: Target,
  name: string,
  a: number,
  b: number,
): Promise<ViewDifference[]> {
  const store = readModelStore(target);
  const first = await compareVersions(store, name, a, b);
  if (first.length === 0) return first;
  await new Promise((r) => setTimeout(r, 2_000));
  const second = await compareVersions(store, name, a, b);
  const again = new Set(second.map((d) => `${d.kind}:${d.entity}`));
  return first.filter((d) => again.has(`${d.kind}:${d.entity}`));
}

function showDifferences(
  ctx: Context,
  differences: readonly ViewDifference[],
  a: number,
  b: number,
) {
  ctx.out.table(
    [
      { header: "entity" },
      { header: "difference" },
      { header: `v${a}`, max: 60 },
      { header: `v${b}`, max: 60 },
    ],
    differences
      .slice(0, 50)
      .map((d) => [
        d.entity,
        d.kind === "different"
          ? "different"
          : d.kind === "missing-in-a"
            ? `only in v${b}`
            : `only in v${a}`,
        d.a === undefined ? "" : JSON.stringify(d.a),
        d.b === undefined ? "" : JSON.stringify(d.b),
      ]),
  );
  if (differences.length > 50) ctx.out.note(`… ${differences.length - 50} more (--json lists all)`);
}

async function verify(
  ctx: Context,
  target: Target,
  name: string,
  live: number,
  version: number,
): Promise<ViewDifference[]> {
  const info = projectionNamed(name);
  if (!(await waitForLiveToSettle(target, info)))
    ctx.out.note("the live projector still has lag: differences may be events in flight");
  const differences = await stableDifferences(target, name, live, version);
  if (differences.length === 0)
    ctx.out.line(ctx.out.style.green(`v${version} equals live v${live}`));
  else {
    ctx.out.line(
      ctx.out.style.red(`v${version} differs from live v${live} in ${differences.length} item(s):`),
    );
    showDifferences(ctx, differences, live, version);
  }
  return differences;
}

export function registerProjection(program: Command): void {
  const projection = program
    .command("projection")
    .description(
      `Read models (${projectionNames().join(", ")}): versions, rebuild from the log, verify, switch.`,
    );

  projection
    .command("list")
    .description("Each projection's live version, the version being built, and past rebuilds.")
    .addHelpText("after", "\nExamples:\n  duplex projection list\n  duplex projection list --json")
    .action(async (_options: unknown, command: Command) =>
      run(command, async (ctx) => {
        const target = await ctx.target();
        const store = readModelStore(target);
        const rows = [];
        for (const name of projectionNames()) {
          const pointer = await store.pointer(name, true);
          const records = await rebuildRecords(target, name);
          rows.push({ name, ...pointer, rebuilds: records });
        }
        ctx.out.table(
          [
            { header: "projection" },
            { header: "live", right: true },
            { header: "building", right: true },
            { header: "switched" },
            { header: "rebuilds" },
          ],
          rows.map((r) => [
            r.name,
            `v${r.liveVersion}`,
            r.buildingVersion === undefined ? "" : ctx.out.style.yellow(`v${r.buildingVersion}`),
            r.switchedAt ?? "",
            r.rebuilds.map((x) => `v${x.version} ${String(x.progress.state ?? "?")}`).join(", "),
          ]),
        );
        ctx.out.result({ target: target.label, projections: rows });
        return EXIT.ok;
      }),
    );

  projection
    .command("rebuild")
    .argument("<name>", `one of: ${projectionNames().join(", ")}`)
    .description(
      "Rebuild a read model from offset 0 into a new version while the live one keeps serving, with progress (events/s, remaining lag); hand over to the live projector, then switch.",
    )
    .option(
      "--verify",
      "compare the rebuilt version with the live one before switching; differences: no switch, exit 1",
    )
    .option(
      "--no-switch",
      "leave the new version building (written by the live projector too); switch later",
    )
    .option(
      "--resume [version]",
      "continue an interrupted rebuild from its checkpoint (the newest, or version N) instead of starting over",
    )
    .option("--batch <events>", "events folded per batch write (memory: ~1 KB each)", "10000")
    .option(
      "--read-on <thread>",
      "where records are read and decoded: worker (a thread of their own, next to the fold), this (the fold's thread) or auto (worker with 4 cores or more, for a log the CLI reads directly)",
      "auto",
    )
    .option(
      "--stall-timeout <seconds>",
      "fail (resumable) when no event is read or written for this long; there is no overall limit",
      "120",
    )
    .addHelpText(
      "after",
      `
The rebuild folds each batch of events per read-model item and writes with BatchWriteItem; it
saves a checkpoint per batch (item projection#<name> / rebuild#v<N>: progress, figures with
events/s and ETA, checkpoint), so an interrupted or crashed rebuild continues with --resume.
The live projector is paused for a few seconds at the hand-over (locally: its host pollers; on
AWS: its event source mappings are disabled and enabled again); its view stays readable.

Examples:
  duplex projection rebuild order-summary --verify
  duplex projection rebuild order-summary --resume          (after Ctrl-C or a crash)
  duplex projection rebuild inventory-levels --no-switch   (then: duplex projection verify/switch)
  duplex projection rebuild sales-analytics --stage prod --yes`,
    )
    .action(
      async (
        name: string,
        options: {
          verify?: boolean;
          switch: boolean;
          resume?: string | boolean;
          stallTimeout: string;
          batch: string;
          readOn: string;
        },
        command: Command,
      ) =>
        run(command, async (ctx) => {
          const info = projectionNamed(name);
          const stallSeconds = Number(options.stallTimeout);
          if (!Number.isFinite(stallSeconds) || stallSeconds <= 0) {
            throw new UsageError(
              `--stall-timeout '${options.stallTimeout}' is not a number of seconds`,
              {
                hint: "e.g. --stall-timeout 300",
              },
            );
          }
          const flushEvents = Number(options.batch);
          if (!Number.isInteger(flushEvents) || flushEvents < 1) {
            throw new UsageError(`--batch '${options.batch}' is not a number of events`, {
              hint: "e.g. --batch 10000",
            });
          }
          const readOnWorker =
            options.readOn === "worker" ? true : options.readOn === "this" ? false : "auto";
          if (!["worker", "this", "auto"].includes(options.readOn)) {
            throw new UsageError(`--read-on '${options.readOn}' is not a thread`, {
              hint: "one of: worker, this, auto",
            });
          }
          const target = await ctx.target();
          const resumeVersion =
            options.resume === undefined
              ? undefined
              : await resumableVersion(
                  target,
                  name,
                  options.resume === true ? undefined : Number(options.resume),
                );
          const line = ctx.out.progress();
          const result = await rebuildIntoNewVersion(target, {
            info,
            signal: ctx.signal,
            resumeVersion,
            stallTimeoutMs: stallSeconds * 1000,
            flushEvents,
            readOnWorker,
            onProgress: (p) => {
              const total = p.events + p.remaining;
              line.update(
                `${progressBar(total === 0 ? 1 : p.events / total)} v${p.version} ${p.phase}  ${count(p.events)} events  ${rate(p.eventsPerSecond)}  ${count(p.remaining)} to go  ETA ${p.etaMs === undefined ? "?" : duration(p.etaMs)}  ${duration(p.elapsedMs)}`,
              );
            },
          });
          line.done(
            `v${result.version} rebuilt from the log${result.resumedAt === undefined ? "" : ` (resumed at ${count(result.resumedAt)})`}: ${count(result.events)} events${result.skipped > 0 ? ` (${count(result.skipped)} undecodable, skipped)` : ""} in ${duration(result.elapsedMs)}, ${rate(result.eventsPerSecond)}; live projector paused ${duration(result.pausedMs)} for the hand-over`,
          );
          const summary = { target: target.label, projection: name, ...result };
          if (options.verify) {
            const differences = await verify(ctx, target, name, result.liveVersion, result.version);
            if (differences.length > 0) {
              await readModelStore(target).markRebuildProgress(name, result.version, {
                state: "verify-failed",
                differences: differences.length,
              });
              ctx.out.result({ ...summary, switched: false, differences });
              throw new AttentionError(
                `not switched: v${result.version} differs from live v${result.liveVersion}`,
                {
                  hint: `inspect, then 'duplex projection switch ${name}' to use v${result.version} anyway, or 'duplex projection cancel ${name}'`,
                },
              );
            }
          }
          if (!options.switch) {
            ctx.out.line(
              `v${result.version} is building (the live projector writes it too); switch with: duplex projection switch ${name}`,
            );
            ctx.out.result({ ...summary, switched: false });
            return EXIT.ok;
          }
          await readModelStore(target).switchTo(name, result.version);
          await readModelStore(target).markRebuildProgress(name, result.version, {
            state: "live",
            switchedAt: new Date().toISOString(),
            events: result.events,
          });
          ctx.out.line(
            ctx.out.style.green(
              `${name}: v${result.version} is live (v${result.liveVersion} is kept, no longer written)`,
            ),
          );
          ctx.out.result({
            ...summary,
            switched: true,
            differences: options.verify ? [] : undefined,
          });
          return EXIT.ok;
        }),
    );

  projection
    .command("verify")
    .argument("<name>", "the projection")
    .option("--version <n>", "the version to compare with the live one (default: the one building)")
    .description(
      "Compare a version with the live one, item by item; exit 1 and list them when they differ.",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  duplex projection verify order-summary\n  duplex projection verify order-summary --version 3 --json",
    )
    .action(async (name: string, options: { version?: string }, command: Command) =>
      run(command, async (ctx) => {
        projectionNamed(name);
        const target = await ctx.target();
        const pointer = await readModelStore(target).pointer(name, true);
        const version =
          options.version === undefined ? pointer.buildingVersion : Number(options.version);
        if (version === undefined || !Number.isInteger(version) || version < 1) {
          throw new UsageError(
            options.version === undefined
              ? `${name} has no version building`
              : `--version '${options.version}' is not a version`,
            {
              hint: `say which: --version N (see duplex projection list)`,
            },
          );
        }
        const differences = await verify(ctx, target, name, pointer.liveVersion, version);
        ctx.out.result({ projection: name, live: pointer.liveVersion, version, differences });
        return differences.length === 0 ? EXIT.ok : EXIT.attention;
      }),
    );

  projection
    .command("switch")
    .argument("<name>", "the projection")
    .option("--to <n>", "the version to make live (default: the one building)")
    .description("Make a version live (readers and the live projector move to it).")
    .addHelpText(
      "after",
      "\nExamples:\n  duplex projection switch order-summary\n  duplex projection switch order-summary --to 1   (back to the old version)",
    )
    .action(async (name: string, options: { to?: string }, command: Command) =>
      run(command, async (ctx) => {
        projectionNamed(name);
        const target = await ctx.target();
        const store = readModelStore(target);
        const pointer = await store.pointer(name, true);
        const version = options.to === undefined ? pointer.buildingVersion : Number(options.to);
        if (version === undefined) {
          throw new RefusedError(`${name} has no version building`, {
            hint: "pass --to N (see duplex projection list)",
          });
        }
        if (!Number.isInteger(version) || version < 1)
          throw new UsageError(`--to '${options.to}' is not a version`);
        if (version !== pointer.buildingVersion && options.to !== undefined) {
          ctx.out.note(
            `v${version} is not being written by the live projector: it holds what it held when it stopped being live or building`,
          );
        }
        await store.switchTo(name, version);
        ctx.out.line(`${name}: v${version} is live (was v${pointer.liveVersion})`);
        ctx.out.result({ projection: name, live: version, previous: pointer.liveVersion });
        return EXIT.ok;
      }),
    );

  projection
    .command("cancel")
    .argument("<name>", "the projection")
    .description(
      "Drop a version being built: the live projector stops writing it; the live version is untouched.",
    )
    .addHelpText("after", "\nExamples:\n  duplex projection cancel order-summary")
    .action(async (name: string, _options: unknown, command: Command) =>
      run(command, async (ctx) => {
        projectionNamed(name);
        const target = await ctx.target();
        const store = readModelStore(target);
        const pointer = await store.pointer(name, true);
        if (pointer.buildingVersion === undefined)
          throw new RefusedError(`${name} has no version building`);
        await store.cancelRebuild(name);
        await store.markRebuildProgress(name, pointer.buildingVersion, {
          state: "cancelled",
          at: new Date().toISOString(),
        });
        ctx.out.line(
          `${name}: v${pointer.buildingVersion} dropped; v${pointer.liveVersion} stays live`,
        );
        ctx.out.result({
          projection: name,
          cancelled: pointer.buildingVersion,
          live: pointer.liveVersion,
        });
        return EXIT.ok;
      }),
    );
}
