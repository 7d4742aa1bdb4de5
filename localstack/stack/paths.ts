/**
 * Where the local stack keeps things. Everything it installs or writes lives under the ignored
 * folder `.duplex/` at the repository root; the files it reads (the Kafka pom, the log4j2
 * config, moto's and LocalStack's pinned requirements, the DynamoDB Local pom) are committed under
 * `localstack/`.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of the repository root (two levels above this file). */
export const repoRoot: string = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** Absolute path of the stack's ignored working folder, `<repo>/.duplex`. */
export const duplexHome: string = join(repoRoot, ".duplex");

/** Files and folders of the local stack, all absolute. */
export const paths = {
  /** The project's own pom that pulls Kafka's runtime jars from Maven Central. */
  kafkaPom: join(repoRoot, "localstack", "kafka", "pom.xml"),
  /** log4j2 configuration shared by every broker and Kafka tool the project runs. */
  kafkaLog4j: join(repoRoot, "localstack", "kafka", "log4j2.properties"),
  /** moto and its whole dependency closure, pinned. */
  motoRequirements: join(repoRoot, "localstack", "moto", "requirements.txt"),
  /** LocalStack (localstack-core 4.14.0) and its whole dependency closure, pinned. */
  localstackRequirements: join(repoRoot, "localstack", "localstack", "requirements.txt"),
  /** The project's own pom that pulls DynamoDB Local (jars and sqlite4java natives). */
  dynamodbPom: join(repoRoot, "localstack", "dynamodb", "pom.xml"),

  home: duplexHome,
  /** Kafka's jars (`kafka_2.13`, `kafka-tools`, the log4j2 binding, and their dependencies). */
  kafkaLib: join(duplexHome, "kafka", "lib"),
  /** Per-mode folders: `<kafkaData>/single/node-1`, `<kafkaData>/cluster/node-{1,2,3}`. */
  kafkaData: join(duplexHome, "kafka"),
  /** The project-local Python virtualenv holding moto. */
  venv: join(duplexHome, "venv"),
  /** LocalStack's own folder: `venv/` (never moto's), and the folders it writes at run time. */
  localstackHome: join(duplexHome, "localstack"),
  /** LocalStack's virtualenv (Python 3.13+), apart from moto's. */
  localstackVenv: join(duplexHome, "localstack", "venv"),
  /** DynamoDB Local's install: `lib/` (jars), `native/` (sqlite4java), `.installed` (pom hash). */
  dynamodbHome: join(duplexHome, "dynamodb"),
  /** DynamoDB Local's jars (the JVM classpath). */
  dynamodbLib: join(duplexHome, "dynamodb", "lib"),
  /** sqlite4java's native libraries, where `-Dsqlite4java.library.path` points. */
  dynamodbNative: join(duplexHome, "dynamodb", "native"),
  /** Toxiproxy, built with `go install` (the proxy drills' TCP proxy). */
  toxiproxyHome: join(duplexHome, "toxiproxy"),
  /** Logs of every component and of the installs. */
  logs: join(duplexHome, "logs"),
  /** Pid files, the state file and the lock. */
  run: join(duplexHome, "run"),
} as const;

/** Log file of a component (`kafka-1`, `moto`, `localstack`, `dynamodb`, `install-kafka`, ...). */
export function logFile(name: string): string {
  return join(paths.logs, `${name}.log`);
}

/** Pid file of a long-running component (`kafka-1`, `moto`, `localstack`, `dynamodb`). */
export function pidFile(name: string): string {
  return join(paths.run, `${name}.pid`);
}

/** A path relative to the repository root, for messages. */
export function shortPath(path: string): string {
  return path.startsWith(`${repoRoot}/`) ? path.slice(repoRoot.length + 1) : path;
}
