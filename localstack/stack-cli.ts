/**
 * `npm run stack:up|down|status|reset` — the local stack's command line.
 *
 * ```
 * node localstack/stack-cli.ts up      [--brokers 1|3] [--proxy] [--emulator moto|localstack] [--timeout SECONDS] [--json]
 * node localstack/stack-cli.ts down    [--json]
 * node localstack/stack-cli.ts status  [--json]
 * node localstack/stack-cli.ts reset   [--brokers 1|3] [--emulator moto|localstack] [--timeout SECONDS] [--json]
 * node localstack/stack-cli.ts install [--emulator moto|localstack] [--json]
 * ```
 *
 * Exit codes: 0 success (for `status`: everything up and ready), 1 error, 2 bad usage,
 * 3 `status` found something down or not ready.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  type BrokerCount,
  describeStackError,
  EMULATORS,
  type Emulator,
  kafkaProxies,
  type StackStatus,
  stackDown,
  stackInstall,
  stackReset,
  stackStatus,
  stackUp,
} from "./stack/index.ts";

const USAGE = `usage: npm run stack:<up|down|status|reset|install> [-- options]
       node localstack/stack-cli.ts <up|down|status|reset|install> [options]

  up       install on first use, start Kafka, the AWS emulator (moto, or LocalStack) and
           DynamoDB Local, wait until ready (idempotent: starts only what is not running)
  down     stop everything the stack runs; verify its ports are free
  status   print each component: pid, port, memory, readiness
  reset    wipe Kafka's topics/data, the emulator's resources and DynamoDB Local's tables
           (keeps installs), then up
  install  install what up would start, start nothing (e.g. LocalStack ahead of a run)

options:
  --brokers 1|3              Kafka nodes (default 1, or DUPLEX_KAFKA_BROKERS_COUNT; 3 = MSK-like)
  --proxy                    up: also start Toxiproxy in front of the brokers (built with Go on
                             first use), for network faults between clients and brokers (the
                             proxy drills)
  --emulator moto|localstack AWS emulator (default moto, or DUPLEX_EMULATOR; a running stack keeps
                             its own)
  --timeout SECONDS          how long to wait for readiness (default 120)
  --json                     machine-readable output on stdout (progress goes to stderr)
  -h, --help                 this text

environment: DUPLEX_KAFKA_BROKERS, DUPLEX_KAFKA_BROKERS_COUNT, DUPLEX_KAFKA_PORT,
DUPLEX_KAFKA_HEAP, DUPLEX_KAFKA_PROXY_PORT, DUPLEX_TOXIPROXY_PORT, DUPLEX_EMULATOR,
DUPLEX_MOTO_PORT, DUPLEX_LOCALSTACK_PORT, DUPLEX_LOCALSTACK_PYTHON, DUPLEX_DYNAMODB_PORT,
DUPLEX_DYNAMODB_HEAP, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB, AWS_REGION (see
docs/local-stack.md)`;

function usageError(message: string): never {
  process.stderr.write(`error: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function mb(bytes: number | undefined): string {
  return bytes === undefined ? "-" : `${Math.round(bytes / 1024 / 1024)} MB`;
}

function printStatus(status: StackStatus): void {
  const brokers = status.brokerCount === 1 ? "1 broker" : `${status.brokerCount} brokers`;
  console.log(
    `Duplex local stack: ${status.up ? "up" : "NOT up"} (${status.mode}: ${brokers}${status.recorded ? "" : ", not started by stack:up"})`,
  );
  const rows = [
    ["component", "running", "ready", "pid", "ports", "rss", "endpoint", "log"],
    ...status.components.map((c) => [
      c.managed ? c.name : `${c.name} (external)`,
      c.running ? "yes" : "no",
      c.ready ? "yes" : "no",
      c.pid === undefined ? "-" : String(c.pid),
      c.ports.length ? c.ports.join("/") : "-",
      mb(c.rssBytes),
      c.endpoint,
      c.logFile?.replace(`${process.cwd()}/`, "") ?? "-",
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  for (const row of rows) {
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    );
  }
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    usageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const command = positionals[0];
  if (positionals.length !== 1 || !command) usageError("give exactly one command");
  let brokers: BrokerCount | undefined;
  if (values.brokers !== undefined) {
    if (values.brokers !== "1" && values.brokers !== "3") usageError("--brokers must be 1 or 3");
    brokers = values.brokers === "1" ? 1 : 3;
  }
  let emulator: Emulator | undefined;
  if (values.emulator !== undefined) {
    if (!(EMULATORS as readonly string[]).includes(values.emulator)) {
      usageError(`--emulator must be one of ${EMULATORS.join(", ")}`);
    }
    emulator = values.emulator as Emulator;
  }
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (!Number.isFinite(seconds) || seconds <= 0)
      usageError("--timeout must be a number of seconds");
    timeoutMs = seconds * 1000;
  }
  const json = values.json === true;
  const log = json
    ? (line: string) => process.stderr.write(`${line}\n`)
    : (line: string) => console.log(line);
  const out = (value: unknown) => console.log(JSON.stringify(value, null, 2));
  const upOptions = {
    log,
    ...(brokers === undefined ? {} : { brokers }),
    ...(emulator === undefined ? {} : { emulator }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };

  switch (command) {
    case "up": {
      const result = await stackUp(upOptions);
      const proxies = values.proxy ? await kafkaProxies(log) : undefined;
      if (proxies !== undefined) {
        log(`toxiproxy: clients that bootstrap from ${proxies.brokers.join(",")} go through it`);
      }
      if (json)
        out({ ...result, ...(proxies === undefined ? {} : { proxiedBrokers: proxies.brokers }) });
      return 0;
    }
    case "reset": {
      const result = await stackReset(upOptions);
      if (json) out(result);
      return 0;
    }
    case "install": {
      const installed = await stackInstall({
        log,
        ...(emulator === undefined ? {} : { emulator }),
      });
      if (json) out({ installed });
      return 0;
    }
    case "down": {
      const result = await stackDown({ log });
      if (json) out(result);
      return 0;
    }
    case "status": {
      const status = await stackStatus();
      if (json) out(status);
      else printStatus(status);
      return status.up ? 0 : 3;
    }
    default:
      usageError(`unknown command "${command}"`);
  }
}

function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      brokers: { type: "string" },
      proxy: { type: "boolean" },
      emulator: { type: "string" },
      timeout: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

process.on("SIGINT", () => {
  process.stderr.write(
    "\ninterrupted: run `npm run stack:down` to stop anything already started\n",
  );
  process.exit(130);
});

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`${describeStackError(error)}\n`);
  process.exitCode = 1;
}
