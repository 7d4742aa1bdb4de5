/**
 * Installs AWS's DynamoDB Local from Maven Central into `.duplex/dynamodb`, once, with the
 * project's own `localstack/dynamodb/pom.xml`; re-installs when that pom changes.
 *
 * Layout: `lib/` holds the jars (the JVM classpath), `native/` the sqlite4java native libraries,
 * `tmp/` what DynamoDB Local extracts when it has to, `.installed` the pom's hash.
 * DynamoDBLocal's own POM declares the natives as runtime dependencies of type so/dylib/dll, so
 * one `mvn dependency:copy-dependencies` brings everything; the install then moves the natives
 * out of the classpath folder.
 *
 * How DynamoDB Local 3.3.1 finds sqlite (its `SQLiteLibraryLoader`, read from the jar): the file
 * `org.sqlite.lib.name` in the folder `org.sqlite.lib.path` if both are set; else a copy of the
 * native bundled in its own jar (Linux and macOS on x86_64 and aarch64, Windows), extracted to
 * `org.sqlite.tmpdir` (default `java.io.tmpdir`) at every start; else `java.library.path`. It does
 * not read `sqlite4java.library.path`, the property AWS's instructions for the zip mention. The
 * stack sets `org.sqlite.lib.path`/`.name` to the installed native of this platform, and
 * `org.sqlite.tmpdir` to `.duplex/dynamodb/tmp` for the platforms Maven has no native for
 * (Linux and macOS on aarch64).
 *
 * @module
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
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
import { runLogged, tailFile } from "./processes.ts";

/** The jar that holds `software.amazon.dynamodb.services.local.main.ServerRunner`. */
const MAIN_JAR = /^DynamoDBLocal-[\d.]+\.jar$/;
const NATIVE = /\.(so|dylib|dll)$/;

/** The launcher that binds DynamoDB Local to 127.0.0.1 (see `LoopbackDynamoDbLocal.java`). */
export const LAUNCHER_CLASS = "duplex.localstack.LoopbackDynamoDbLocal";
const launcherSource = join(dirname(paths.dynamodbPom), "LoopbackDynamoDbLocal.java");

/** Changes to the pom or the launcher's source mean a new install. */
function pomHash(): string {
  return contentHash(paths.dynamodbPom, launcherSource);
}

/** `javac` next to the `java` the stack runs, else the one on PATH. */
function javacCommand(): string {
  const javaHome = process.env.JAVA_HOME;
  const candidate = javaHome ? join(javaHome, "bin", "javac") : undefined;
  return candidate !== undefined && existsSync(candidate) ? candidate : "javac";
}

/**
 * The Maven-published sqlite4java 1.0.392 native for this platform (its artifact id, which starts
 * the file name), or `undefined` when there is none: it ships linux-amd64, linux-i386, osx
 * (i386 and x86_64 only), win32-x64 and win32-x86. Elsewhere DynamoDB Local uses the copy bundled
 * in its jar.
 */
export function sqliteNativeStem(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): string | undefined {
  if (platform === "linux" && arch === "x64") return "libsqlite4java-linux-amd64";
  if (platform === "linux" && arch === "ia32") return "libsqlite4java-linux-i386";
  if (platform === "darwin" && arch === "x64") return "libsqlite4java-osx";
  if (platform === "win32" && arch === "x64") return "sqlite4java-win32-x64";
  if (platform === "win32" && arch === "ia32") return "sqlite4java-win32-x86";
  return undefined;
}

/** The installed native file for this platform (a name in `.duplex/dynamodb/native`), if any. */
export function installedSqliteNative(): string | undefined {
  const stem = sqliteNativeStem();
  if (stem === undefined) return undefined;
  try {
    return readdirSync(paths.dynamodbNative).find((f) => f.startsWith(`${stem}-`));
  } catch {
    return undefined;
  }
}

/** True when `.duplex/dynamodb` holds the jars and natives of the current pom. */
export function dynamodbInstalled(): boolean {
  return installedWith(paths.dynamodbHome, pomHash());
}

/** The JVM classpath: the compiled launcher, then the installed jars (Java expands the `*`). */
export function dynamodbClasspath(): string {
  return [join(paths.dynamodbHome, "launcher"), join(paths.dynamodbLib, "*")].join(delimiter);
}

/**
 * Resolves DynamoDB Local with Maven (about 50 MB, 87 jars and 5 native libraries) unless it is
 * already there. Everything happens in a staging folder renamed into place at the end, so a
 * failed or interrupted install leaves nothing half-done.
 *
 * @returns true when it installed, false when it was already there.
 * @throws {PrerequisiteError} when Maven is missing.
 * @throws {InstallError} with the tail of `.duplex/logs/install-dynamodb.log`, naming the step
 * that failed (the Maven resolve, or the native library check).
 */
export async function installDynamoDb(
  log: (line: string) => void = () => {},
  timeoutMs = 15 * 60_000,
): Promise<boolean> {
  if (dynamodbInstalled()) return false;
  checkMaven();
  const hash = pomHash();
  const staging = freshStaging(paths.dynamodbHome);
  const stagingLib = join(staging, "lib");
  const stagingNative = join(staging, "native");
  const logPath = logFile("install-dynamodb");
  const fail = (message: string, hint: string): InstallError => {
    rmSync(staging, { recursive: true, force: true });
    return new InstallError(
      "dynamodb",
      message,
      { file: logPath, tail: tailFile(logPath) },
      { hint },
    );
  };

  log("dynamodb: downloading DynamoDB Local 3.3.1 from Maven Central (first run only)…");
  const result = await copyDependencies(paths.dynamodbPom, stagingLib, {
    logFile: logPath,
    timeoutMs,
  });
  const files = existsSync(stagingLib) ? readdirSync(stagingLib) : [];
  if (result.code !== 0 || !files.some((f) => MAIN_JAR.test(f))) {
    throw fail(
      result.timedOut
        ? `Maven did not finish resolving DynamoDB Local within ${Math.round(timeoutMs / 1000)} s`
        : result.code !== 0
          ? `Maven failed to resolve DynamoDB Local's jars (exit ${result.code ?? result.signal})`
          : "Maven finished, but DynamoDBLocal-*.jar is not among the resolved files",
      "check that Maven Central is reachable (proxy settings in ~/.m2/settings.xml), then run the command again",
    );
  }

  // The natives go where -Dorg.sqlite.lib.path points, out of the classpath folder.
  mkdirSync(stagingNative, { recursive: true });
  mkdirSync(join(staging, "tmp"), { recursive: true });
  const natives = files.filter((f) => NATIVE.test(f));
  for (const file of natives) renameSync(join(stagingLib, file), join(stagingNative, file));
  const stem = sqliteNativeStem();
  if (stem !== undefined && !natives.some((f) => f.startsWith(`${stem}-`))) {
    writeFileSync(
      logPath,
      `\nnative libraries resolved: ${natives.join(", ") || "none"}; wanted ${stem}-<version>\n`,
      { flag: "a" },
    );
    throw fail(
      `the sqlite4java native library ${stem} was not among the files Maven resolved`,
      "the DynamoDBLocal POM no longer declares it: pin a DynamoDB Local version in localstack/dynamodb/pom.xml that does, or add the native to that pom",
    );
  }

  // DynamoDB Local binds every interface and has no option for it: a small launcher of ours binds
  // it to 127.0.0.1 (compiled here, against the jars just resolved).
  const javac = await runLogged(
    javacCommand(),
    ["-d", join(staging, "launcher"), "-cp", join(stagingLib, "*"), launcherSource],
    { cwd: staging, logFile: logPath, timeoutMs: 120_000 },
  );
  if (javac.code !== 0) {
    throw fail(
      `compiling the 127.0.0.1 launcher failed (javac exit ${javac.code ?? javac.signal})`,
      "the stack needs a JDK 17+ (javac), not only a JRE: e.g. apt-get install openjdk-17-jdk-headless, or set JAVA_HOME to a JDK",
    );
  }

  promoteStaging(staging, paths.dynamodbHome, hash);
  log(
    `dynamodb: installed ${files.length - natives.length} jars and ${natives.length} native libraries into .duplex/dynamodb`,
  );
  return true;
}
