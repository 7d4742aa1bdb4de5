import { createEvent } from "../../../events/create.ts";
import type { EventEnvelope } from "../../../events/envelope.ts";
import { LocalSession } from "../../../localstack/host/session.ts";
import {
  cpuUs,
  fmt,
  fmtRatio,
  nowMs,
  progress,
  ratio,
  type SuiteReport,
  type Summary,
  summarize,
  table,
} from "../lib/harness.ts";

export interface HttpApiOptions {
  /** Requests per run. */
  readonly requests: number;
  /** Requests in flight. */
  readonly concurrency: number;
}

interface Run {
  readonly name: string;
  readonly perSecond: number;
  readonly latencyMs: Summary;
  readonly cpuMsPerRequest: number;
  readonly failures: number;
}

/** Runs `send` for every item with `concurrency` in flight; latency per item, rate overall. */
async function load<T>(
  name: string,
  items: readonly T[],
  concurrency: number,
  send: (item: T) => Promise<boolean>,
): Promise<Run> {
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const cpu0 = cpuUs();
  const t0 = nowMs();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const item = items[next++];
        if (item === undefined) return;
        const started = nowMs();
        const ok = await send(item).catch(() => false);
        latencies.push(nowMs() - started);
        if (!ok) failures++;
      }
    }),
  );
  const seconds = (nowMs() - t0) / 1000;
  return {
    name,
    perSecond: items.length / seconds,
    latencyMs: summarize(latencies),
    cpuMsPerRequest: (cpuUs() - cpu0) / 1000 / items.length,
    failures,
  };
}

/**
 * The command API under a bounded load (issue 14): `POST /commands/RegisterCustomerRequested`
 * through the local HTTP server and the command-api function (validation, Idempotency-Key in
 * DynamoDB, log-first publish with acks=all, PutEvents, a ledger entry), with `concurrency`
 * requests in flight; then the same keys again (replays answered from the idempotency store);
 * against the raw baseline of the same commands published by the kit's Publisher in-process (no
 * HTTP, no idempotency, no ledger). Requests/s, latency p50/p99 and process CPU per request
 * (the host's worker threads included) in one run on one machine.
 */
export async function httpApiSuite(options: HttpApiOptions): Promise<SuiteReport> {
  const session = await LocalSession.start({ functions: ["command-api"] });
  try {
    const api = session.host?.api?.url;
    if (api === undefined) throw new Error("no HTTP API in the host");
    const commands = (tag: string): EventEnvelope[] =>
      Array.from({ length: options.requests }, (_, i) =>
        createEvent("RegisterCustomerRequested", {
          customerId: `bench-${tag}-${session.name}-${i}`,
          name: `Bench ${i}`,
          email: `bench${i}@example.com`,
        }),
      );
    const post = async (command: EventEnvelope) => {
      const response = await fetch(`${api}/commands/${command.eventType}`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": command.eventId },
        body: JSON.stringify(command.data),
      });
      await response.arrayBuffer();
      return response.status === 202;
    };
    progress(`http-api: warm-up`);
    await load("warm-up", commands("warm").slice(0, 50), options.concurrency, post);
    progress(`http-api: ${options.requests} requests, ${options.concurrency} in flight`);
    const viaHttp = commands("http");
    const runs: Run[] = [];
    runs.push(await load("POST /commands (new key)", viaHttp, options.concurrency, post));
    runs.push(await load("POST /commands (replayed key)", viaHttp, options.concurrency, post));
    runs.push(
      await load(
        "baseline: Publisher.publish in-process",
        commands("raw"),
        options.concurrency,
        async (c) => {
          await session.publish([c]);
          return true;
        },
      ),
    );
    const baseline = runs[2]?.perSecond ?? Number.NaN;
    return {
      suite: "http-api",
      tables: [
        table(
          `Command API, ${options.requests} requests, ${options.concurrency} in flight (local host, one machine)`,
          ["path", "req/s", "p50 ms", "p99 ms", "CPU ms/req", "failed", "vs baseline"],
          runs.map((r) => [
            r.name,
            fmt(r.perSecond, 0),
            fmt(r.latencyMs.p50),
            fmt(r.latencyMs.p99),
            fmt(r.cpuMsPerRequest, 2),
            String(r.failures),
            fmtRatio(ratio(r.perSecond, baseline)),
          ]),
        ),
      ],
      data: { ...options, runs },
      notes: [
        "CPU is the benchmark process's (it hosts the HTTP server and the function's worker threads); the broker, moto and DynamoDB Local are separate processes.",
      ],
    };
  } finally {
    await session.stop({ deleteTopics: true });
  }
}
