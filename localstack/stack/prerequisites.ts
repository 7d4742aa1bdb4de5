/**
 * The tools the stack needs from the machine: a JDK 17+ (always, for Kafka and DynamoDB Local;
 * `javac` once, for DynamoDB Local's launcher), Maven (once, to fetch their jars), Python 3.9+
 * with venv (once, to install moto) and, for LocalStack only, Python 3.13+ with venv (once, to
 * install LocalStack). Each check fails with a {@link PrerequisiteError} saying which tool and how
 * to install it.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { PrerequisiteError } from "./errors.ts";

// A JDK, not only a JRE: DynamoDB Local's 127.0.0.1 launcher is compiled with javac at install.
const INSTALL_JAVA =
  "install a JDK 17+ (Debian/Ubuntu: sudo apt-get install openjdk-17-jdk-headless; " +
  "macOS: brew install openjdk@17), or set JAVA_HOME to one";
const INSTALL_MAVEN =
  "install Maven 3.6+ (Debian/Ubuntu: sudo apt-get install maven; macOS: brew install maven)";
const INSTALL_PYTHON =
  "install Python 3.9+ with venv (Debian/Ubuntu: sudo apt-get install python3 python3-venv; " +
  "macOS: brew install python)";

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { ok: boolean; output: string; missing: boolean } {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 30_000, env });
  const error = result.error as NodeJS.ErrnoException | undefined;
  return {
    ok: !error && result.status === 0,
    output: `${result.stdout ?? ""}${result.stderr ?? ""}`,
    missing: error?.code === "ENOENT",
  };
}

/** The java launcher: `$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java` on PATH. */
export function javaCommand(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.JAVA_HOME?.trim();
  return home ? join(home, "bin", "java") : "java";
}

/**
 * Checks that Java 17+ runs.
 *
 * @returns the java command and its major version.
 * @throws {PrerequisiteError} when java is missing or older than 17.
 */
export function checkJava(java: string = javaCommand()): { command: string; major: number } {
  if (java.includes("/") && !existsSync(java)) {
    throw new PrerequisiteError("java", `Java not found at ${java} (from JAVA_HOME)`, {
      hint: `fix JAVA_HOME or unset it to use java from PATH; or ${INSTALL_JAVA}`,
    });
  }
  const result = run(java, ["-version"]);
  if (result.missing) {
    throw new PrerequisiteError(
      "java",
      "Java 17+ is required to run Kafka and DynamoDB Local, but `java` is not on PATH",
      {
        hint: INSTALL_JAVA,
      },
    );
  }
  const version = /version "([^"]+)"/.exec(result.output)?.[1];
  if (!result.ok || version === undefined) {
    throw new PrerequisiteError("java", `\`${java} -version\` failed: ${result.output.trim()}`, {
      hint: INSTALL_JAVA,
    });
  }
  const parts = version.split(/[._-]/).map(Number);
  const major = parts[0] === 1 ? (parts[1] ?? 0) : (parts[0] ?? 0);
  if (major < 17) {
    throw new PrerequisiteError("java", `Java ${version} is too old: Kafka 4 needs Java 17+`, {
      hint: INSTALL_JAVA,
    });
  }
  return { command: java, major };
}

/**
 * Checks that Maven runs (needed only to fetch Kafka's and DynamoDB Local's jars the first time).
 *
 * @throws {PrerequisiteError} when `mvn` is missing.
 */
export function checkMaven(): { command: string } {
  const result = run("mvn", ["-v"]);
  if (result.missing || !result.ok) {
    throw new PrerequisiteError(
      "mvn",
      "Maven is required once, to download Kafka's and DynamoDB Local's jars from Maven Central, but `mvn` " +
        (result.missing ? "is not on PATH" : `failed: ${result.output.trim().split("\n")[0]}`),
      { hint: INSTALL_MAVEN },
    );
  }
  return { command: "mvn" };
}

/**
 * Checks that Python 3.9+ with the `venv` module runs (needed only to install moto the first
 * time).
 *
 * @throws {PrerequisiteError} when python3 is missing, too old, or has no venv/ensurepip.
 */
export function checkPython(): { command: string; version: string } {
  const result = run("python3", [
    "-c",
    "import sys, venv, ensurepip; print('%d.%d.%d' % sys.version_info[:3])",
  ]);
  if (result.missing) {
    throw new PrerequisiteError(
      "python3",
      "Python 3.9+ is required once, to install moto, but `python3` is not on PATH",
      { hint: INSTALL_PYTHON },
    );
  }
  if (!result.ok) {
    const noVenv = /venv|ensurepip/.test(result.output);
    throw new PrerequisiteError(
      "python3",
      noVenv
        ? "python3 has no venv/ensurepip module, needed to create .duplex/venv"
        : `python3 failed: ${result.output.trim()}`,
      { hint: INSTALL_PYTHON },
    );
  }
  const version = result.output.trim();
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if (major < 3 || (major === 3 && minor < 9)) {
    throw new PrerequisiteError("python3", `Python ${version} is too old: moto 5 needs 3.9+`, {
      hint: INSTALL_PYTHON,
    });
  }
  return { command: "python3", version };
}

const INSTALL_GO =
  "install Go 1.23+ (Debian/Ubuntu: sudo apt-get install golang-go, or https://go.dev/dl; " +
  "macOS: brew install go); it builds Toxiproxy from the Go module proxy";

/**
 * Checks that Go runs (needed only to build Toxiproxy, the TCP proxy of the proxy drills, the
 * first time).
 *
 * @throws {PrerequisiteError} when `go` is missing.
 */
export function checkGo(): { command: string; version: string } {
  const result = run("go", ["version"]);
  if (result.missing || !result.ok) {
    throw new PrerequisiteError(
      "go",
      "Go is required once, to build Toxiproxy for the proxy drills, but `go` " +
        (result.missing ? "is not on PATH" : `failed: ${result.output.trim().split("\n")[0]}`),
      { hint: INSTALL_GO },
    );
  }
  return { command: "go", version: result.output.trim() };
}

/** The oldest Python LocalStack 4.14 runs on (see `localstack/localstack/requirements.txt`). */
export const LOCALSTACK_PYTHON = { major: 3, minor: 13 } as const;

const INSTALL_LOCALSTACK_PYTHON =
  "LocalStack 4.14 needs Python 3.13+ with venv. Get one: `pyenv install 3.13` (the stack finds " +
  "pyenv's versions by itself); Debian 13 / Ubuntu 24.10+: sudo apt-get install python3.13 " +
  "python3.13-venv; Ubuntu 22.04/24.04: python3.13-venv from the deadsnakes PPA; macOS: brew " +
  "install python@3.13. Or point DUPLEX_LOCALSTACK_PYTHON at a python3.13 binary. moto (the " +
  "default emulator, `--emulator moto`) needs only Python 3.9+";

/** A Python that runs, with its version, or `undefined` when the command does not run. */
function pythonVersion(
  command: string,
  env: NodeJS.ProcessEnv,
): { version: string; major: number; minor: number } | undefined {
  const result = run(
    command,
    ["-c", "import sys, venv, ensurepip; print('%d.%d.%d' % sys.version_info[:3])"],
    env,
  );
  if (!result.ok) return undefined;
  const version = result.output.trim().split("\n").pop() ?? "";
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return /^\d+\.\d+\.\d+$/.test(version) ? { version, major, minor } : undefined;
}

function recentEnough(v: { major: number; minor: number }): boolean {
  return (
    v.major > LOCALSTACK_PYTHON.major ||
    (v.major === LOCALSTACK_PYTHON.major && v.minor >= LOCALSTACK_PYTHON.minor)
  );
}

/** Interpreters pyenv has installed, newest patch first, 3.13 before later minors. */
function pyenvPythons(env: NodeJS.ProcessEnv): string[] {
  const root =
    env.PYENV_ROOT?.trim() ||
    (() => {
      const result = run("pyenv", ["root"], env);
      return result.ok ? result.output.trim() : undefined;
    })();
  if (!root) return [];
  let names: string[];
  try {
    names = readdirSync(join(root, "versions"));
  } catch {
    return [];
  }
  const parsed = names
    .map((name) => ({ name, parts: /^(\d+)\.(\d+)\.(\d+)$/.exec(name)?.slice(1).map(Number) }))
    .filter(
      (v): v is { name: string; parts: number[] } =>
        v.parts !== undefined && recentEnough({ major: v.parts[0] ?? 0, minor: v.parts[1] ?? 0 }),
    );
  const key = (p: number[]) => ((p[1] ?? 0) === LOCALSTACK_PYTHON.minor ? 0 : (p[1] ?? 0));
  parsed.sort((a, b) => key(a.parts) - key(b.parts) || (b.parts[2] ?? 0) - (a.parts[2] ?? 0));
  return parsed.map((v) => join(root, "versions", v.name, "bin", "python3"));
}

/**
 * Finds the Python that LocalStack's virtualenv is made with (needed only for its first install):
 * `DUPLEX_LOCALSTACK_PYTHON` when set; else the first of `python3.13`, pyenv's 3.13.x (newest
 * first), `python3.14`, pyenv's later versions and `python3` that runs, has venv and is 3.13+.
 * The requirements are resolved on 3.13, so 3.13 comes first.
 *
 * @throws {PrerequisiteError} when `DUPLEX_LOCALSTACK_PYTHON` is unusable or no Python 3.13+ is
 *   found, saying how to get one.
 */
export function checkLocalStackPython(env: NodeJS.ProcessEnv = process.env): {
  command: string;
  version: string;
} {
  const wanted = `${LOCALSTACK_PYTHON.major}.${LOCALSTACK_PYTHON.minor}`;
  const chosen = env.DUPLEX_LOCALSTACK_PYTHON?.trim();
  if (chosen) {
    const found = pythonVersion(chosen, env);
    if (found === undefined || !recentEnough(found)) {
      throw new PrerequisiteError(
        "python3.13",
        `DUPLEX_LOCALSTACK_PYTHON: ${chosen} ${found === undefined ? "does not run, or has no venv/ensurepip" : `is Python ${found.version}`}; LocalStack 4.14 needs ${wanted}+`,
        { hint: INSTALL_LOCALSTACK_PYTHON },
      );
    }
    return { command: chosen, version: found.version };
  }
  const pyenv = pyenvPythons(env);
  const candidates = [
    "python3.13",
    ...pyenv.filter((p) => p.includes(`/${wanted}.`)),
    "python3.14",
    ...pyenv.filter((p) => !p.includes(`/${wanted}.`)),
    "python3",
  ];
  const seen: string[] = [];
  for (const command of candidates) {
    const found = pythonVersion(command, env);
    if (found === undefined) continue;
    if (recentEnough(found)) return { command, version: found.version };
    seen.push(`${command} is ${found.version}`);
  }
  throw new PrerequisiteError(
    "python3.13",
    `LocalStack 4.14 needs Python ${wanted}+ (its SQS provider uses 3.12 syntax and 3.13's warnings.deprecated), but none was found${seen.length > 0 ? ` (${seen.join(", ")})` : ""}`,
    { hint: INSTALL_LOCALSTACK_PYTHON },
  );
}
