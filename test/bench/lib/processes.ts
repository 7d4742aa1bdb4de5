import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { duplexHome, pidFile, repoRoot } from "../../../localstack/stack/paths.ts";

/**
 * What a process costs, read from `/proc` (Linux): CPU time is robust on a shared, noisy machine
 * where wall-clock time partly measures the neighbours.
 */

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU seconds of a process so far (every thread), or undefined if it is gone. */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces; fields after it are fixed.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of a process's live threads, summed by thread name (`MainThread`, `WorkerThread`,
 * `V8Worker`, `libuv-worker`, ... in Node). Threads that have exited are not listed: their time
 * is only in the process total.
 */
export function cpuSecondsByThread(pid: number): Record<string, number> {
  const byName: Record<string, number> = {};
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byName;
  }
  for (const task of tasks) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      byName[name] =
        (byName[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return byName;
}

/** Resident memory of a process in MiB, or undefined if it is gone. */
export function rssMiBOf(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kib === undefined ? undefined : Number(kib) / 1024;
  } catch {
    return undefined;
  }
}

/** The process id a stack component wrote to `.duplex/run/<name>.pid`, if it runs. */
export function stackPid(name: "kafka-1" | "moto" | "dynamodb"): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(name), "utf8").trim());
    return Number.isInteger(pid) && cpuSecondsOf(pid) !== undefined ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Where `java/BrokerRequests.java` is compiled, once per change of its source. */
const classesDir = join(duplexHome, "bench", "classes");
const brokerRequestsSource = join(repoRoot, "test", "bench", "java", "BrokerRequests.java");

function compileBrokerRequests(): void {
  const compiled = join(classesDir, "BrokerRequests.class");
  if (
    existsSync(compiled) &&
    statSync(compiled).mtimeMs >= statSync(brokerRequestsSource).mtimeMs
  ) {
    return;
  }
  mkdirSync(classesDir, { recursive: true });
  execFileSync("javac", ["-d", classesDir, brokerRequestsSource], { stdio: "pipe" });
}

/**
 * Requests per Kafka API the broker has served since it started (`{ Produce: 3161, Fetch: ... }`),
 * read over JMX by `java/BrokerRequests.java` (attaches to the broker's JVM; about a CPU-second of
 * its own, so read it outside a measured window). Undefined when it cannot be read (a JDK without
 * the attach module, or a machine too busy to answer in two minutes).
 */
export async function brokerRequests(pid: number): Promise<Record<string, number> | undefined> {
  try {
    compileBrokerRequests();
  } catch {
    return undefined;
  }
  const { stdout, code } = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
    execFile(
      "java",
      [
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-cp",
        classesDir,
        "BrokerRequests",
        String(pid),
      ],
      { timeout: 120_000, encoding: "utf8" },
      (error, out) => resolve({ stdout: out, code: error === null ? 0 : 1 }),
    );
  });
  if (code !== 0) return undefined;
  const counts: Record<string, number> = {};
  for (const line of stdout.split("\n")) {
    const [api, count] = line.split("\t");
    if (api === undefined || count === undefined || api === "") continue;
    counts[api] = (counts[api] ?? 0) + Number(count);
  }
  return counts;
}
