#!/usr/bin/env node
/**
 * `duplex`: the operators' CLI (`npx duplex --help`). The program is in `bin/cli/`; the runbook
 * in `docs/runbook.md`.
 */
import { main } from "./cli/main.ts";

const code = await main(process.argv);
// Kafka clients keep sockets open a moment after close: exit explicitly once the command is done.
process.exit(code);
