/**
 * Installs Apache Kafka's runtime jars from Maven Central into `.duplex/kafka/lib`, once, with
 * the project's own `localstack/kafka/pom.xml`; re-installs when that pom changes.
 *
 * @module
 */
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { InstallError } from "./errors.ts";
import { logFile, paths } from "./paths.ts";
import { checkMaven } from "./prerequisites.ts";
import { runLogged, tailFile } from "./processes.ts";

const MARKER = ".installed";

function pomHash(): string {
  return createHash("sha256").update(readFileSync(paths.kafkaPom)).digest("hex");
}

/** True when `.duplex/kafka/lib` holds the jars of the current pom. */
export function kafkaInstalled(): boolean {
  try {
    return readFileSync(join(paths.kafkaLib, MARKER), "utf8").trim() === pomHash();
  } catch {
    return false;
  }
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
  const hash = pomHash();
  const staging = `${paths.kafkaLib}.tmp-${process.pid}`;
  const logPath = logFile("install-kafka");
  mkdirSync(dirname(staging), { recursive: true });
  // Leftovers of interrupted installs (any pid) go first.
  for (const entry of readdirSync(dirname(staging))) {
    if (entry.startsWith("lib.tmp-"))
      rmSync(join(dirname(staging), entry), { recursive: true, force: true });
  }
  log("kafka: downloading Kafka 4.3.1 jars from Maven Central (first run only)…");
  const result = await runLogged(
    "mvn",
    [
      "-B",
      "-q",
      "-f",
      paths.kafkaPom,
      "dependency:copy-dependencies",
      "-DincludeScope=runtime",
      `-DoutputDirectory=${staging}`,
    ],
    { cwd: dirname(paths.kafkaPom), logFile: logPath, timeoutMs },
  );
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
  writeFileSync(join(staging, MARKER), `${hash}\n`);
  rmSync(paths.kafkaLib, { recursive: true, force: true });
  renameSync(staging, paths.kafkaLib);
  log(`kafka: installed ${jars.length} jars into .duplex/kafka/lib`);
  return true;
}
