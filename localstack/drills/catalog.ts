/**
 * The drills: faults injected into the local stack under the order workload, each ending in the
 * history check and the business invariants (`npm run drill -- <name>|all`). Names are stable:
 * the docs (`docs/reliability.md`) and the AWS game-day runbook refer to them.
 */

/** The name of a drill. */
export type DrillName =
  | "broker-crash"
  | "leader-kill"
  | "controller-kill"
  | "two-brokers-down"
  | "emulator-freeze"
  | "dynamodb-freeze"
  | "worker-kill"
  | "handler-fail-every-nth"
  | "proxy-latency"
  | "proxy-cut"
  | "clock-skew"
  | "consumer-throttle"
  | "put-events-partial";

/** What a drill is, for people and for other tools. */
export interface DrillInfo {
  readonly name: DrillName;
  /** One line: what breaks, how, for how long. */
  readonly description: string;
  /** The broker counts it runs with (3: it needs a cluster). */
  readonly brokers: readonly (1 | 3)[];
  /** What it shows when it passes. */
  readonly proves: string;
}

/** Every drill, in the order `all` runs them. */
export const drillCatalog: readonly DrillInfo[] = [
  {
    name: "broker-crash",
    description:
      "SIGKILL of one Kafka broker (the only one with 1 broker) for 15 s, then a restart",
    brokers: [1, 3],
    proves:
      "producers ride through a log outage (bounded retries, then clear refusals that the shop front retries); consumers reconnect and resume from committed offsets; nothing acknowledged is lost",
  },
  {
    name: "leader-kill",
    description:
      "SIGKILL of the broker that leads most partitions of order-events for 15 s, then a restart",
    brokers: [3],
    proves:
      "leadership moves to in-sync replicas (RF 3, min ISR 2, unclean election off) with no acknowledged event lost and no publish refused for long",
  },
  {
    name: "controller-kill",
    description: "SIGKILL of the active KRaft controller for 15 s, then a restart",
    brokers: [3],
    proves: "a controller election under load loses nothing and stalls nobody for long",
  },
  {
    name: "two-brokers-down",
    description:
      "SIGKILL of 2 of 3 brokers for 20 s (below min ISR 2: writes cannot be acknowledged), then restarts",
    brokers: [3],
    proves:
      "with fewer in-sync replicas than min.insync.replicas the log refuses writes rather than acknowledge what one broker alone holds; nothing acknowledged is lost; everything refused is retried and recovers",
  },
  {
    name: "emulator-freeze",
    description:
      "SIGSTOP of the AWS emulator the stack runs (moto or LocalStack: EventBridge, SQS) for 15 s, then SIGCONT",
    brokers: [1, 3],
    proves:
      "a frozen fast lane delays commands but loses none: the log keeps them, the fast lane resumes, the reconciler covers what was refused",
  },
  {
    name: "dynamodb-freeze",
    description: "SIGSTOP of DynamoDB Local (every table) for 15 s, then SIGCONT",
    brokers: [1, 3],
    proves:
      "handlers time out and retry against a frozen store without double effects (conditional writes, outbox, idempotency)",
  },
  {
    name: "worker-kill",
    description:
      "for 20 s, an execution environment killed mid-invocation every ~1.5 s (its worker thread terminated, not the handler throwing)",
    brokers: [1, 3],
    proves:
      "a crash at any point of a batch (before or after the commit, before or after the publish) is retried into exactly one effect: idempotency, handled ids, the outbox and its sweeper",
  },
  {
    name: "handler-fail-every-nth",
    description:
      "for 20 s, every 5th event handled by order-saga, payment-commands and inventory-levels-projector throws (DUPLEX_FAULT_FAIL_EVERY=5)",
    brokers: [1, 3],
    proves:
      "partial batch failures retry only what failed, in order per partition, with no double effect and nothing dead-lettered by a transient fault",
  },
  {
    name: "proxy-latency",
    description:
      "200 ms (±50 ms) added each way between all clients and the brokers (Toxiproxy; ~400 ms per round trip) for 20 s",
    brokers: [1, 3],
    proves:
      "a slow network between functions and the log slows the run down but changes no outcome and loses nothing",
  },
  {
    name: "proxy-cut",
    description:
      "every connection between the clients and the brokers cut, and new ones refused (Toxiproxy), for 15 s",
    brokers: [1, 3],
    proves:
      "clients cut off from a healthy log refuse clearly, reconnect and resume; nothing acknowledged is lost",
  },
  {
    name: "clock-skew",
    description:
      "for 25 s, order-saga's clock 5 min behind and payment-commands' 5 min ahead (DUPLEX_FAULT_CLOCK_SKEW_SECONDS)",
    brokers: [1, 3],
    proves:
      "wrong clocks (deadlines, due times, time-ordered ids) may change when a step times out but never duplicate an effect or break conservation",
  },
  {
    name: "consumer-throttle",
    description:
      "order-saga and payment-commands throttled to 0 concurrency (their event source mappings stopped) for 20 s",
    brokers: [1, 3],
    proves:
      "a stopped consumer builds a backlog that it works off from its committed offsets; the fast-lane reconciler covers the stopped handler",
  },
  {
    name: "put-events-partial",
    description:
      "for 25 s, half of the PutEvents entries of order-saga and the sweepers refused one by one by the emulator (DUPLEX_FAULT_PUT_EVENTS_FAIL_SHARE=0.5)",
    brokers: [1, 3],
    proves:
      "per-entry PutEvents failures are retried entry by entry; what still fails is delivered from the log by the reconciler; nothing is acted on twice",
  },
];

/** The drill of a name, or `undefined`. */
export function drillInfo(name: string): DrillInfo | undefined {
  return drillCatalog.find((d) => d.name === name);
}
