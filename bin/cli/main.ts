import { CommanderError } from "commander";
import { EXIT } from "./exit-codes.ts";
import { buildProgram } from "./program.ts";

/**
 * Runs `duplex` with `argv` (as `process.argv`) and resolves with the exit code. Usage errors
 * found by commander (unknown option, missing argument) exit 2, like every usage error.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  for (const command of allCommands(program)) command.exitOverride();
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.help" ||
        error.code === "commander.version"
      ) {
        return EXIT.ok;
      }
      if (error.code === "commander.executeSubCommandAsync") return EXIT.ok;
      return EXIT.usage;
    }
    throw error;
  }
  return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
}

function allCommands(command: ReturnType<typeof buildProgram>): ReturnType<typeof buildProgram>[] {
  return command.commands.flatMap((c) => [c, ...allCommands(c)]);
}
