import { fork } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { awaitOrders, placeOrders, seedWorkload } from "../../../localstack/demo/drive.ts";
import { RunMonitor } from "../../../localstack/demo/monitor.ts";
import { buildWorkload } from "../../../localstack/demo/workload.ts";
import type { HostStats } from "../../../localstack/host/host.ts";
import { LocalSession, type SessionDescription } from "../../../localstack/host/session.ts";
import { localEndpoints } from "../../../localstack/stack/endpoints.ts";
import { duplexHome } from "../../../localstack/stack/paths.ts";
import { fmt, progress, type SuiteReport, sleep, table } from "../lib/harness.ts";
import type { BenchLog } from "../lib/log.ts";
import {
  brokerRequests,
  cpuSecondsByThread,
  cpuSecondsOf,
  rssMiBOf,
  stackPid,
} from "../lib/processes.ts";
import { RequestCounter, type RequestCounts } from "../lib/request-counter.ts";
import type { CapacityHostInput, CapacityHostMessage } from "./capacity-host.ts";

/**
 * End-to-end capacity (issue 10): the main job's workload — customers, products, orders through
 * both lanes, the saga, the projectors — at a few paced rates and in one burst, each run on a
 * fresh session. Per run: orders/s, fast-lane latency, and what each process spent per order in
 * CPU-seconds (the functions host, moto, DynamoDB Local, the Kafka broker, the driver), read from
 * `/proc` over the measured window, plus requests per order per API (emulators through a counting
 * proxy, Kafka from the broker's request meters). CPU time is the robust figure on a shared
 * machine: with the stack saturated, orders/s ≈ cores / CPU-seconds per order.
 */
export interface CapacityOptions {
  /** Paced runs, orders per second. */
  readonly rates: readonly number[];
  /** How long each paced run places orders. */
  readonly secondsPerRate: number;
  /** Orders of the burst run (all at once); 0 skips it. */
  readonly burst: number;
  readonly failureShare: number;
  /** Count requests through a proxy (its own process; its CPU is reported apart). */
  readonly countRequests: boolean;
  /** Give up waiting for a run's orders after this long. */
  readonly timeoutSeconds: number;
  /** Port of the first counting proxy (`DUPLEX_BENCH_COUNTER_PORT`; 0: any free port). */
  readonly counterPort: number;
}

type Process = "host" | "moto" | "dynamodb" | "kafka" | "driver" | "counter";
const STACK: readonly Process[] = ["host", "moto", "dynamodb", "kafka"];

export interface CapacityRun {
  readonly label: string;
  /** Offered orders/s (0: one burst). */
  readonly rate: number;
  readonly orders: number;
  readonly completed: number;
  readonly cancelled: number;
  readonly rejected: number;
  readonly notEnded: number;
  /** From the first order placed to the last one ended. */
  readonly seconds: number;
  readonly placeSeconds: number;
  readonly ordersPerSec: number;
  readonly fastLane: {
    readonly p50: number | undefined;
    readonly p99: number | undefined;
    readonly n: number;
  };
  /** CPU-seconds over the window, per process. */
  readonly cpuSeconds: Readonly<Partial<Record<Process, number>>>;
  /** The host's CPU-seconds over the window by thread: its main thread (pollers, consumers), the
   * execution environments' worker threads (ended ones included), V8's and libuv's helpers. */
  readonly hostThreads: {
    readonly main: number;
    readonly workers: number;
    readonly helpers: number;
  };
  /** Before the orders, with the session seeded and quiet: CPU-seconds per second, per process,
   * and requests per second (what a run costs when nothing happens). */
  readonly idle: {
    readonly seconds: number;
    readonly cpuPerSecond: Readonly<Partial<Record<Process, number>>>;
    readonly requestsPerSecond: RequestCounts;
  };
  readonly requests: RequestCounts;
  readonly kafkaRequests: Readonly<Record<string, number>>;
  readonly hostRssMiB: { readonly max: number; readonly mean: number; readonly atStart: number };
  readonly invocations: Readonly<Record<string, number>>;
  /** Per function: execution environments started (cold starts), most alive at once, alive at
   * the end. */
  readonly environments: Readonly<
    Record<string, { coldStarts: number; peak: number | undefined; atEnd: number | undefined }>
  >;
  readonly loadAverage: readonly number[];
}

class HostProcess {
  readonly #child: ReturnType<typeof fork>;
  readonly #messages: CapacityHostMessage[] = [];
  readonly #waiters: ((message: CapacityHostMessage) => void)[] = [];

  constructor() {
    this.#child = fork(fileURLToPath(new URL("./capacity-host.ts", import.meta.url)), [], {
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    this.#child.on("message", (message: CapacityHostMessage) => {
      const waiter = this.#waiters.shift();
      if (waiter === undefined) this.#messages.push(message);
      else waiter(message);
    });
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  #next(): Promise<CapacityHostMessage> {
    const queued = this.#messages.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      this.#waiters.push(resolve);
      this.#child.once("exit", (code) => reject(new Error(`capacity host exited with ${code}`)));
    });
  }

  async start(input: CapacityHostInput): Promise<SessionDescription> {
    this.#child.send(input);
    const message = await this.#next();
    if (message.kind === "ready") return message.description;
    throw new Error(`capacity host: ${message.kind === "failed" ? message.error : message.kind}`);
  }

  async stats(): Promise<HostStats> {
    this.#child.send({ kind: "stats" });
    const message = await this.#next();
    if (message.kind !== "stats") throw new Error(`capacity host answered ${message.kind}`);
    return message.stats;
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    this.#child.send({ kind: "stop" });
    await exited;
  }
}

function cpuNow(
  pids: Readonly<Partial<Record<Process, number>>>,
): Partial<Record<Process, number>> {
  const out: Partial<Record<Process, number>> = {};
  for (const [name, pid] of Object.entries(pids) as [Process, number][]) {
    const seconds =
      name === "driver"
        ? (process.cpuUsage().user + process.cpuUsage().system) / 1e6
        : cpuSecondsOf(pid);
    if (seconds !== undefined) out[name] = seconds;
  }
  return out;
}

function delta<K extends string>(
  after: Readonly<Partial<Record<K, number>>>,
  before: Readonly<Partial<Record<K, number>>>,
): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const [key, value] of Object.entries(after) as [K, number][]) {
    out[key] = value - ((before[key] as number | undefined) ?? 0);
  }
  return out;
}

async function oneRun(
  log: BenchLog,
  options: CapacityOptions,
  counter: RequestCounter | undefined,
  spec: { label: string; rate: number; orders: number; index: number },
): Promise<CapacityRun> {
  const name = `bench-${log.id}-c${spec.index}`;
  progress(`capacity ${spec.label}: starting the host (session ${name})`);
  const host = new HostProcess();
  const env: Record<string, string> = {};
  if (counter !== undefined) {
    env.AWS_ENDPOINT_URL = counter.urls.aws ?? "";
    env.AWS_ENDPOINT_URL_DYNAMODB = counter.urls.dynamodb ?? "";
  }
  const description = await host.start({
    name,
    env,
    logDir: join(duplexHome, "bench", "logs", "capacity"),
  });
  log.touch();
  const driver = LocalSession.attach(description);
  const monitor = new RunMonitor(driver, { dlqEveryMs: 60_000 });
  try {
    const workload = buildWorkload({
      customers: 20,
      orders: spec.orders,
      failureShare: options.failureShare,
      seed: 42 + spec.index,
      runId: `${log.id}${spec.index}`,
    });
    await seedWorkload(driver, workload, 600_000);
    monitor.start();
    // Let the seeding's facts reach every consumer, so the window holds the orders' work only.
    await sleep(5_000);

    const pids: Partial<Record<Process, number>> = { host: host.pid, driver: process.pid };
    const moto = stackPid("moto");
    const dynamodb = stackPid("dynamodb");
    const kafka = stackPid("kafka-1");
    if (moto !== undefined) pids.moto = moto;
    if (dynamodb !== undefined) pids.dynamodb = dynamodb;
    if (kafka !== undefined) pids.kafka = kafka;
    if (counter?.pid !== undefined) pids.counter = counter.pid;

    const kafkaBefore = kafka === undefined ? undefined : await brokerRequests(kafka);
    progress(`capacity ${spec.label}: ${IDLE_SECONDS} s idle`);
    await counter?.counts({ reset: true });
    const idleStart = cpuNow(pids);
    const idleStarted = Date.now();
    await sleep(IDLE_SECONDS * 1000);
    const idleSeconds = (Date.now() - idleStarted) / 1000;
    const idleCpu = delta(cpuNow(pids), idleStart);
    const idleRequests = (await counter?.counts({ reset: true })) ?? {};
    const threadsBefore = cpuSecondsByThread(host.pid);
    const cpuBefore = cpuNow(pids);
    const rssAtStart = rssMiBOf(host.pid) ?? Number.NaN;
    const rss: number[] = [];
    const sampler = setInterval(() => {
      const value = rssMiBOf(host.pid);
      if (value !== undefined) rss.push(value);
    }, 1_000);
    const started = Date.now();
    monitor.measureFrom(started);
    progress(
      `capacity ${spec.label}: ${spec.orders} orders ${spec.rate === 0 ? "at once" : `at ${spec.rate}/s`}`,
    );
    const orderIds = [...new Set(workload.orders.map((o) => o.orderId))];
    await placeOrders(driver, workload, spec.rate);
    const placed = Date.now();
    const statuses = await awaitOrders(monitor, orderIds, started + options.timeoutSeconds * 1000);
    const ended = Date.now();
    const cpuAfter = cpuNow(pids);
    const threadsAfter = cpuSecondsByThread(host.pid);
    clearInterval(sampler);
    const requests = (await counter?.counts()) ?? {};
    const kafkaAfter = kafka === undefined ? undefined : await brokerRequests(kafka);
    const stats = await host.stats();
    const snapshot = monitor.snapshot();
    const counts = { COMPLETED: 0, CANCELLED: 0, REJECTED: 0 };
    for (const status of statuses.values()) counts[status]++;
    const seconds = (ended - started) / 1000;
    const run: CapacityRun = {
      label: spec.label,
      rate: spec.rate,
      orders: orderIds.length,
      completed: counts.COMPLETED,
      cancelled: counts.CANCELLED,
      rejected: counts.REJECTED,
      notEnded: orderIds.length - statuses.size,
      seconds,
      placeSeconds: (placed - started) / 1000,
      ordersPerSec: statuses.size / seconds,
      fastLane: {
        p50: snapshot.fastLaneP50,
        p99: snapshot.fastLaneP99,
        n: snapshot.fastLaneSamples,
      },
      cpuSeconds: delta(cpuAfter, cpuBefore),
      hostThreads: hostThreadSplit(
        (cpuAfter.host ?? 0) - (cpuBefore.host ?? 0),
        delta(threadsAfter, threadsBefore),
      ),
      idle: {
        seconds: idleSeconds,
        cpuPerSecond: Object.fromEntries(
          Object.entries(idleCpu).map(([p, v]) => [p, v / idleSeconds]),
        ),
        requestsPerSecond: Object.fromEntries(
          Object.entries(idleRequests).map(([api, n]) => [api, n / idleSeconds]),
        ),
      },
      requests,
      kafkaRequests:
        kafkaBefore === undefined || kafkaAfter === undefined ? {} : delta(kafkaAfter, kafkaBefore),
      hostRssMiB: {
        max: Math.max(rssAtStart, ...rss),
        mean: rss.length === 0 ? rssAtStart : rss.reduce((a, b) => a + b, 0) / rss.length,
        atStart: rssAtStart,
      },
      invocations: Object.fromEntries(
        Object.entries(stats.functions).map(([fn, s]) => [fn, s.invocations]),
      ),
      environments: Object.fromEntries(
        Object.entries(stats.functions).map(([fn, s]) => [
          fn,
          // A host of before issue 10 reports cold starts only.
          { coldStarts: s.coldStarts, peak: s.peakEnvironments, atEnd: s.environments },
        ]),
      ),
      loadAverage: (await import("node:os")).loadavg(),
    };
    progress(
      `capacity ${spec.label}: ${run.completed}/${run.orders} completed, ${fmt(run.ordersPerSec)} orders/s, fast lane p50 ${run.fastLane.p50} ms p99 ${run.fastLane.p99} ms; CPU-s/order ${STACK.map((p) => `${p} ${fmt((run.cpuSeconds[p] ?? Number.NaN) / run.orders, 3)}`).join(", ")}`,
    );
    return run;
  } finally {
    await monitor.stop();
    await driver.stop({ keepDescription: true });
    await host.stop();
  }
}

/** Seconds of quiet measured before each run's orders. */
const IDLE_SECONDS = 15;

function hostThreadSplit(total: number, byThread: Readonly<Record<string, number>>) {
  const main = byThread.MainThread ?? 0;
  const helpers = Object.entries(byThread)
    .filter(([name]) => name !== "MainThread" && name !== "WorkerThread")
    .reduce((sum, [, v]) => sum + v, 0);
  // Ended worker threads are only in the process total, so workers are the rest.
  return { main, workers: Math.max(0, total - main - helpers), helpers };
}

/**
 * CPU-seconds per order beyond what the process spends idle (its idle rate over the window): the
 * cost of an order itself, whatever the window's length (a slow machine stretches the window,
 * and the idle polling and sweeping with it).
 */
function aboveIdle(run: CapacityRun, process: Process): number {
  const idle = (run.idle.cpuPerSecond[process] ?? 0) * run.seconds;
  return ((run.cpuSeconds[process] ?? Number.NaN) - idle) / run.orders;
}

const perOrder = (run: CapacityRun, value: number | undefined) =>
  value === undefined ? Number.NaN : value / run.orders;

/** The APIs shown in the requests table, in this order; the rest are summed per service. */
const SHOWN_APIS: readonly string[] = [
  "aws ReceiveMessage",
  "aws DeleteMessageBatch",
  "aws SendMessage",
  "aws PutEvents",
  "aws GetQueueAttributes",
  "dynamodb GetItem",
  "dynamodb BatchGetItem",
  "dynamodb PutItem",
  "dynamodb UpdateItem",
  "dynamodb TransactWriteItems",
  "dynamodb Query",
];
const SHOWN_KAFKA: readonly string[] = [
  "Produce",
  "Fetch",
  "OffsetCommit",
  "Heartbeat",
  "Metadata",
  "ListOffsets",
  "OffsetFetch",
  "FindCoordinator",
];

export async function capacitySuite(
  log: BenchLog,
  options: CapacityOptions,
  context: { consumeRatio?: number | undefined } = {},
): Promise<SuiteReport> {
  const endpoints = localEndpoints();
  const counter = options.countRequests
    ? await RequestCounter.start([
        { name: "aws", target: endpoints.awsEndpoint, listenPort: options.counterPort },
        {
          name: "dynamodb",
          target: endpoints.dynamodbEndpoint,
          listenPort: options.counterPort === 0 ? 0 : options.counterPort + 1,
        },
      ])
    : undefined;
  const specs = [
    ...options.rates.map((rate) => ({
      label: `${rate}/s`,
      rate,
      orders: Math.max(1, Math.round(rate * options.secondsPerRate)),
    })),
    ...(options.burst > 0
      ? [{ label: `burst ${options.burst}`, rate: 0, orders: options.burst }]
      : []),
  ];
  const runs: CapacityRun[] = [];
  try {
    for (const [index, spec] of specs.entries()) {
      runs.push(await oneRun(log, options, counter, { ...spec, index }));
    }
  } finally {
    await counter?.stop();
  }

  const stackCpu = (run: CapacityRun) =>
    STACK.reduce((sum, p) => sum + (run.cpuSeconds[p] ?? 0), 0) / run.orders;
  const columns = runs.map((r) => r.label);
  const requestRow = (api: string, of: (run: CapacityRun) => number | undefined) => [
    api,
    ...runs.map((run) => fmt(perOrder(run, of(run)), 2)),
  ];
  const otherOf = (service: string) => (run: CapacityRun) =>
    Object.entries(run.requests)
      .filter(([api]) => api.startsWith(`${service} `) && !SHOWN_APIS.includes(api))
      .reduce((sum, [, n]) => sum + n, 0);
  const totalOf = (service: string) => (run: CapacityRun) =>
    Object.entries(run.requests)
      .filter(([api]) => api.startsWith(`${service} `))
      .reduce((sum, [, n]) => sum + n, 0);

  return {
    suite: "capacity",
    tables: [
      table(
        `Capacity: the main job's workload (failure share ${options.failureShare}), a fresh session per run; window = first order placed → last order ended`,
        [
          "run",
          "orders",
          "completed / cancelled / rejected / not ended",
          "placed over s",
          "window s",
          "orders/s",
          "fast lane p50 ms",
          "p99 ms",
          "host RSS MiB start / mean / max",
        ],
        runs.map((r) => [
          r.label,
          String(r.orders),
          `${r.completed} / ${r.cancelled} / ${r.rejected} / ${r.notEnded}`,
          fmt(r.placeSeconds),
          fmt(r.seconds),
          fmt(r.ordersPerSec, 2),
          fmt(r.fastLane.p50, 0),
          fmt(r.fastLane.p99, 0),
          `${fmt(r.hostRssMiB.atStart, 0)} / ${fmt(r.hostRssMiB.mean, 0)} / ${fmt(r.hostRssMiB.max, 0)}`,
        ]),
      ),
      table(
        "CPU-seconds per order, per process, over the window (from /proc; every thread)",
        ["process", ...columns],
        [
          ...(["host", "moto", "dynamodb", "kafka"] as const).map((p) => [
            {
              host: "functions host",
              moto: "moto",
              dynamodb: "DynamoDB Local",
              kafka: "Kafka broker",
            }[p],
            ...runs.map((r) => fmt(perOrder(r, r.cpuSeconds[p]), 3)),
          ]),
          [
            "  host: main thread (pollers, consumers)",
            ...runs.map((r) => fmt(perOrder(r, r.hostThreads.main), 3)),
          ],
          [
            "  host: execution environments",
            ...runs.map((r) => fmt(perOrder(r, r.hostThreads.workers), 3)),
          ],
          [
            "  host: V8 and libuv helpers",
            ...runs.map((r) => fmt(perOrder(r, r.hostThreads.helpers), 3)),
          ],
          ["stack total", ...runs.map((r) => fmt(stackCpu(r), 3))],
          [
            "→ orders/s on 2 saturated cores (2 / total)",
            ...runs.map((r) => fmt(2 / stackCpu(r), 2)),
          ],
          ...(["host", "moto", "dynamodb", "kafka"] as const).map((p) => [
            `${{ host: "functions host", moto: "moto", dynamodb: "DynamoDB Local", kafka: "Kafka broker" }[p]}, above idle`,
            ...runs.map((r) => fmt(aboveIdle(r, p), 3)),
          ]),
          [
            "stack total above idle",
            ...runs.map((r) =>
              fmt(
                STACK.reduce((sum, p) => sum + aboveIdle(r, p), 0),
                3,
              ),
            ),
          ],
          [
            "driver (order placer + monitor)",
            ...runs.map((r) => fmt(perOrder(r, r.cpuSeconds.driver), 3)),
          ],
          ...(counter === undefined
            ? []
            : [
                [
                  "request-counting proxy",
                  ...runs.map((r) => fmt(perOrder(r, r.cpuSeconds.counter), 3)),
                ],
              ]),
        ],
      ),
      ...(counter === undefined
        ? []
        : [
            table(
              "Requests per order, per API (moto: SQS + EventBridge; DynamoDB Local; the driver's few are included)",
              ["API", ...columns],
              [
                ...SHOWN_APIS.map((api) => requestRow(api, (run) => run.requests[api] ?? 0)),
                requestRow("aws, other", otherOf("aws")),
                requestRow("dynamodb, other", otherOf("dynamodb")),
                requestRow("moto total", totalOf("aws")),
                requestRow("DynamoDB Local total", totalOf("dynamodb")),
              ],
            ),
          ]),
      table(
        `Idle, before each run's orders (${IDLE_SECONDS} s, session seeded and quiet): CPU-seconds per second and requests per second`,
        ["what", ...columns],
        [
          ...(["host", "moto", "dynamodb", "kafka"] as const).map((p) => [
            `${p} CPU-s/s`,
            ...runs.map((r) => fmt(r.idle.cpuPerSecond[p], 3)),
          ]),
          ...[...new Set(runs.flatMap((r) => Object.keys(r.idle.requestsPerSecond)))]
            .sort()
            .map((api) => [
              `${api} /s`,
              ...runs.map((r) => fmt(r.idle.requestsPerSecond[api] ?? 0, 2)),
            ]),
        ],
      ),
      table(
        "Kafka requests per order (broker request meters; includes the driver's monitor and a few seconds either side of the window)",
        ["API", ...columns],
        SHOWN_KAFKA.map((api) => [
          api,
          ...runs.map((r) => fmt(perOrder(r, r.kafkaRequests[api]), 2)),
        ]),
      ),
      table(
        "Invocations per order, and execution environments (started / most at once), per function",
        ["function", ...columns.flatMap((c) => [`${c} inv/order`, `${c} envs`])],
        [...new Set(runs.flatMap((r) => Object.keys(r.invocations)))].map((fn) => [
          fn,
          ...runs.flatMap((r) => {
            const envs = r.environments[fn];
            return [
              fmt(perOrder(r, r.invocations[fn]), 2),
              envs === undefined ? "–" : `${envs.coldStarts} / ${envs.peak ?? "–"}`,
            ];
          }),
        ]),
      ),
      ...(context.consumeRatio === undefined
        ? []
        : [
            table(
              "Host consume ratio (consume suite of this run)",
              ["ratio", "value"],
              [
                [
                  "host (bare no-op) / @platformatic/kafka raw",
                  `${context.consumeRatio.toFixed(2)}×`,
                ],
              ],
            ),
          ]),
    ],
    data: { options, runs, consumeRatio: context.consumeRatio },
    notes: [
      "every run has its own session (topics, queues, tables) and a fresh functions host in a child process; the driver (order placer + monitor) is the bench process",
      "CPU per order counts everything the process did in the window, idle polling and sweeps included",
      counter === undefined
        ? "requests not counted (--capacity-no-count)"
        : "requests went through a counting HTTP proxy in its own process: its CPU competes for the same cores",
    ],
  };
}
