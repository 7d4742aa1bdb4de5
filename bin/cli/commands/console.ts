import type { Command } from "commander";
import { readSessionDescription } from "../../../localstack/host/session.ts";
import { CONSOLE_PORT_ENV, DEFAULT_CONSOLE_PORT, startConsole } from "../console/server.ts";
import { run } from "../context.ts";
import { UsageError } from "../errors.ts";
import { EXIT } from "../exit-codes.ts";
import { DEFAULT_SESSION } from "../target/open.ts";

function portOf(raw: string | undefined): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    throw new UsageError(`port '${raw}' is not a port number`, { hint: "e.g. --port 8788" });
  }
  return value;
}

export function registerConsole(program: Command): void {
  program
    .command("console")
    .description(
      "The operations console: a web page on 127.0.0.1 showing events/s per topic, consumer lag per group and partition, sagas in flight, dead letters (readable, with redrive and dry run), a flow's timeline and rebuild progress, for the same target as every other command.",
    )
    .option(
      "-p, --port <port>",
      `port on 127.0.0.1 (default $${CONSOLE_PORT_ENV}, else ${DEFAULT_CONSOLE_PORT}; 0 picks a free one)`,
    )
    .addHelpText(
      "after",
      `
Examples:
  duplex console                      the demo session, http://127.0.0.1:${DEFAULT_CONSOLE_PORT}
  duplex console --port 9000 --session t1a2b3c
  duplex console --stage prod         a deployed stage (AWS credentials as for every command)`,
    )
    .action(async (options: { port?: string }, command: Command) =>
      run(command, async (ctx) => {
        const port = portOf(
          options.port ?? process.env[CONSOLE_PORT_ENV] ?? String(DEFAULT_CONSOLE_PORT),
        );
        const target = await ctx.target();
        const globals = command.optsWithGlobals() as { session?: string };
        const apiUrl =
          target.kind === "local"
            ? readSessionDescription(globals.session ?? DEFAULT_SESSION)?.api?.url
            : undefined;
        const server = await startConsole({ target, port, apiUrl });
        ctx.out.line(`Duplex console for ${target.label}: ${server.url}  (Ctrl-C to stop)`);
        ctx.out.result({ url: server.url, target: target.label });
        await new Promise<void>((resolve) => {
          if (ctx.signal.aborted) resolve();
          ctx.signal.addEventListener("abort", () => resolve());
        });
        await server.close();
        return EXIT.ok;
      }),
    );
}
