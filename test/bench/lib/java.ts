import { spawn } from "node:child_process";
import { paths, repoRoot } from "../../../localstack/stack/paths.ts";

/** Runs a Java main class (or a single-file source program) with Kafka's jars on the class path. */
export function runJava(
  args: readonly string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "java",
      ["-Xmx512m", "-XX:+UseSerialGC", "-cp", `${paths.kafkaLib}/*`, ...args],
      { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 300_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
    child.stdin.end(options.input ?? "");
  });
}

export interface JavaProducerResult {
  readonly records: number;
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
  readonly avgLatencyMs: number;
  readonly p99LatencyMs: number;
  readonly settings: Readonly<Record<string, string>>;
}

/**
 * The Java producer settings of the ceiling run: acks=all with idempotence, like Duplex, and
 * Kafka 4.x's own defaults for batching spelled out (16 KB per-partition batches, 5 ms linger,
 * 5 requests in flight per connection, no compression).
 */
export const JAVA_PRODUCER_SETTINGS: Readonly<Record<string, string>> = {
  acks: "all",
  "enable.idempotence": "true",
  "batch.size": "16384",
  "linger.ms": "5",
  "max.in.flight.requests.per.connection": "5",
  "compression.type": "none",
};

/**
 * `org.apache.kafka.tools.ProducerPerformance` (the `kafka-producer-perf-test` tool of the
 * `kafka-tools` jar), unthrottled. It times itself, so the JVM's start is not counted; warm-up
 * records are excluded from its "steady state" line, which is the figure used.
 */
export async function javaProducerPerformance(options: {
  brokers: readonly string[];
  topic: string;
  records: number;
  warmupRecords: number;
  recordSize: number;
}): Promise<JavaProducerResult> {
  const settings = { ...JAVA_PRODUCER_SETTINGS, "client.id": "duplex-bench-java" };
  const { stdout, stderr, code } = await runJava([
    "org.apache.kafka.tools.ProducerPerformance",
    "--bootstrap-server",
    options.brokers.join(","),
    "--topic",
    options.topic,
    "--num-records",
    String(options.records + options.warmupRecords),
    "--warmup-records",
    String(options.warmupRecords),
    "--record-size",
    String(options.recordSize),
    "--throughput",
    "-1",
    "--command-property",
    ...Object.entries(settings).map(([k, v]) => `${k}=${v}`),
  ]);
  const line =
    stdout.split("\n").find((l) => l.includes("steady state records sent")) ??
    stdout
      .split("\n")
      .reverse()
      .find((l) => l.includes("records sent") && l.includes("99th"));
  const match = line?.match(
    /^(\d+) (?:steady state )?records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency.*?, (\d+) ms 99th/,
  );
  if (code !== 0 || match === undefined || match === null) {
    throw new Error(
      `ProducerPerformance failed (exit ${code}): ${stdout.slice(-500)} ${stderr.slice(-500)}`,
    );
  }
  return {
    records: Number(match[1]),
    recordsPerSec: Number(match[2]),
    mbPerSec: Number(match[3]),
    avgLatencyMs: Number(match[4]),
    p99LatencyMs: Number(match[5]),
    settings,
  };
}
