import type { FunctionDeclaration, TableName } from "./declarations.ts";
import { ENV, tableEnvVar } from "./declarations.ts";
import { InvalidEnvironmentVariableError, MissingEnvironmentVariableError } from "./errors.ts";
import type { LogCompression } from "./log/port.ts";
import { LOG_COMPRESSIONS } from "./log/port.ts";

/**
 * The producers' codec unless `DUPLEX_LOG_COMPRESSION` says otherwise: lz4 costs ~1 µs of CPU per
 * record at 10 records a batch for 69 % fewer bytes, and ~10 µs on a single record
 * (docs/kafka-client.md, "Compression").
 */
export const DEFAULT_LOG_COMPRESSION: LogCompression = "lz4";

/** What a function reads from its environment, typed; only the parts its declaration needs. */
export interface RuntimeConfig {
  readonly functionName: string;
  readonly stage: string;
  readonly tables: Readonly<Partial<Record<TableName, string>>>;
  readonly eventBusName: string | undefined;
  readonly kafka:
    | {
        readonly brokers: readonly string[];
        readonly auth: "iam" | "none";
        readonly compression: LogCompression;
      }
    | undefined;
  /** Critical command type → URL of its fast-lane queue. */
  readonly fastLaneQueues: Readonly<Record<string, string>> | undefined;
  /** Prefix of every topic name (empty on AWS; a per-run namespace locally). */
  readonly topicPrefix: string;
}

/**
 * Reads and checks every variable the declaration's resources imply. Called at module load (cold
 * start): a missing variable fails the function before it takes any record, naming the variable.
 *
 * @example
 * ```ts
 * const config = readRuntimeConfig(declaration);
 * config.tables.aggregates; // "duplex-aggregates"
 * ```
 */
export function readRuntimeConfig(
  declaration: FunctionDeclaration,
  env: NodeJS.ProcessEnv = process.env,
): RuntimeConfig {
  const missing: string[] = [];
  const need = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === "") missing.push(name);
    return value ?? "";
  };

  const tables: Partial<Record<TableName, string>> = {};
  let eventBusName: string | undefined;
  let kafka: RuntimeConfig["kafka"];
  let fastLaneQueues: Record<string, string> | undefined;
  for (const resource of declaration.resources) {
    switch (resource.kind) {
      case "table":
        tables[resource.table] = need(tableEnvVar(resource.table));
        break;
      case "bus":
        eventBusName = need(ENV.eventBusName);
        break;
      case "log": {
        const brokers = need(ENV.kafkaBrokers);
        const auth = env[ENV.kafkaAuth] ?? "none";
        if (auth !== "iam" && auth !== "none") {
          throw new InvalidEnvironmentVariableError(ENV.kafkaAuth, "'iam' or 'none'");
        }
        const compression = env[ENV.logCompression] || DEFAULT_LOG_COMPRESSION;
        if (!(LOG_COMPRESSIONS as readonly string[]).includes(compression)) {
          throw new InvalidEnvironmentVariableError(
            ENV.logCompression,
            `one of ${LOG_COMPRESSIONS.join(", ")}, got '${compression}'`,
          );
        }
        kafka = {
          brokers: brokers.split(",").filter((b) => b !== ""),
          auth,
          compression: compression as LogCompression,
        };
        break;
      }
      case "fast-lane-queues": {
        const raw = need(ENV.fastLaneQueues);
        if (raw !== "") fastLaneQueues = parseQueueMap(raw);
        break;
      }
      case "metrics":
        break;
      default: {
        const unreachable: never = resource;
        throw new Error(`unknown resource ${JSON.stringify(unreachable)}`);
      }
    }
  }
  if (missing.length > 0) throw new MissingEnvironmentVariableError(declaration.name, missing);
  return {
    functionName: declaration.name,
    stage: env[ENV.stage] ?? "local",
    tables,
    eventBusName,
    kafka,
    fastLaneQueues,
    topicPrefix: env.DUPLEX_TOPIC_PREFIX ?? "",
  };
}

function parseQueueMap(raw: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new InvalidEnvironmentVariableError(
      ENV.fastLaneQueues,
      `a JSON object of command type to queue URL (${(error as Error).message})`,
    );
  }
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    Object.values(parsed).some((v) => typeof v !== "string")
  ) {
    throw new InvalidEnvironmentVariableError(
      ENV.fastLaneQueues,
      "a JSON object of command type to queue URL",
    );
  }
  return parsed as Record<string, string>;
}

/** The name of a table the declaration lists; a programming error if it does not. */
export function tableOf(config: RuntimeConfig, table: TableName): string {
  const name = config.tables[table];
  if (name === undefined) {
    throw new Error(`${config.functionName} uses table '${table}' but does not declare it`);
  }
  return name;
}
