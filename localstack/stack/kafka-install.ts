/**
 * Installs Apache Kafka's runtime jars from Maven Central into `.duplex/kafka/lib`, once, with
 * the project's own `localstack/kafka/pom.xml`; re-installs when that pom changes.
 *
 * @module
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { InstallError } from "./errors.ts";
import {
  contentHash,
  copyDependencies,
  freshStaging,
  installedWith,
  promoteStaging,
} from "./installs.ts";
import { logFile, paths } from "./paths.ts";
import { checkMaven } from "./prerequisites.ts";
import { tailFile } from "./processes.ts";

/** True when `.duplex/kafka/lib` holds the jars of the current pom. */
export function kafkaInstalled(): boolean {
  return installedWith(paths.kafkaLib, contentHash(paths.kafkaPom));
}

/** The JVM classpath of the installed jars (Java expands the `*`). */
export function kafkaClasspath(): string {
  return join(paths.kafkaLib, "*");
}

/**
 * Resolves Kafka's jars with Maven (about 55 MB, 90-odd jars) unless they are already there.
 *
 * @returns true when it installed, false when the jars were already there.
 * @throws {PrerequisiteError} when Maven is missing.
 * @throws {InstallError} with the tail of `.duplex/logs/install-kafka.log` when Maven fails.
 */
export async function installKafka(
  log: (line: string) => void = () => {},
  timeoutMs = 15 * 60_000,
): Promise<boolean> {
  if (kafkaInstalled()) return false;
  checkMaven();
  const hash = contentHash(paths.kafkaPom);
  const staging = freshStaging(paths.kafkaLib);
  const logPath = logFile("install-kafka");
  log("kafka: downloading Kafka 4.3.1 jars from Maven Central (first run only)…");
  const result = await copyDependencies(paths.kafkaPom, staging, { logFile: logPath, timeoutMs });
  const jars = existsSync(staging) ? readdirSync(staging).filter((f) => f.endsWith(".jar")) : [];
  if (result.code !== 0 || jars.length === 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new InstallError(
      "kafka",
      result.timedOut
        ? `Maven did not finish within ${Math.round(timeoutMs / 1000)} s`
        : `Maven failed to resolve Kafka's jars (exit ${result.code ?? result.signal})`,
      { file: logPath, tail: tailFile(logPath) },
      {
        hint: "check that Maven Central is reachable (proxy settings in ~/.m2/settings.xml), then run the command again",
      },
    );
  }
  promoteStaging(staging, paths.kafkaLib, hash);
  log(`kafka: installed ${jars.length} jars into .duplex/kafka/lib`);
  return true;
}
