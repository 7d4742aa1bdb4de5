import type { LocalSession } from "../host/session.ts";
import {
  activeController,
  busiestLeader,
  freezeComponent,
  type KafkaProxies,
  runningEmulatorComponent,
  type StackComponent,
  startBroker,
  stopBroker,
  thawComponent,
} from "../stack/index.ts";
import { readState } from "../stack/state.ts";
import type { DrillName } from "./catalog.ts";

/** What a fault acts on. */
export interface FaultContext {
  readonly session: LocalSession;
  readonly brokerCount: 1 | 3;
  /** The proxies in front of the brokers (proxy drills only). */
  readonly proxies: KafkaProxies | undefined;
  readonly say: (line: string) => void;
}

/** When a fault was in force, and what exactly was done. */
export interface FaultWindow {
  readonly brokeAt: number;
  readonly healedAt: number;
  readonly detail: string;
  /** How many times the fault struck, for faults that strike repeatedly (worker kills). */
  readonly strikes?: number;
}

/** Injects a fault, holds it, heals it. */
export type FaultAction = (context: FaultContext) => Promise<FaultWindow>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Undo steps of faults in force, run if the process is interrupted mid-drill. */
const healers = new Set<() => void>();
let exitHookInstalled = false;

/** Registers a synchronous undo for a fault in force (a frozen process must not stay frozen). */
function whileInForce(heal: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const healer of healers) healer();
    });
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.once(signal, () => {
        for (const healer of healers) healer();
        process.exit(130);
      });
    }
  }
  healers.add(heal);
  return () => healers.delete(heal);
}

function stateBrokers(): string[] {
  return readState()?.kafkaBrokers ?? [];
}

async function killBrokers(
  context: FaultContext,
  ids: readonly number[],
  holdMs: number,
  why: string,
): Promise<FaultWindow> {
  const brokeAt = Date.now();
  await Promise.all(ids.map((id) => stopBroker(id, { hard: true })));
  context.say(`fault: ${why}: broker(s) ${ids.join(", ")} killed (SIGKILL)`);
  await sleep(holdMs);
  const restartAt = Date.now();
  await Promise.all(ids.map((id) => startBroker(id)));
  const healedAt = Date.now();
  context.say(
    `fault healed: broker(s) ${ids.join(", ")} restarted (${((healedAt - restartAt) / 1000).toFixed(1)} s to rejoin)`,
  );
  return {
    brokeAt,
    healedAt,
    detail: `${why}: broker(s) ${ids.join(", ")} SIGKILLed, restarted after ${(holdMs / 1000).toFixed(0)} s, back ${((healedAt - brokeAt) / 1000).toFixed(1)} s after the kill`,
  };
}

async function freeze(
  context: FaultContext,
  component: StackComponent,
  holdMs: number,
): Promise<FaultWindow> {
  const brokeAt = Date.now();
  const pid = freezeComponent(component);
  const forget = whileInForce(() => {
    try {
      process.kill(-pid, "SIGCONT");
    } catch {
      // gone
    }
  });
  context.say(`fault: ${component} frozen (SIGSTOP to pid ${pid})`);
  try {
    await sleep(holdMs);
  } finally {
    thawComponent(component);
    forget();
  }
  const healedAt = Date.now();
  context.say(`fault healed: ${component} thawed (SIGCONT)`);
  return {
    brokeAt,
    healedAt,
    detail: `${component} frozen (SIGSTOP) for ${((healedAt - brokeAt) / 1000).toFixed(1)} s`,
  };
}

/** Redeploys functions with fault variables, holds, and redeploys them without. */
async function redeployed(
  context: FaultContext,
  env: Readonly<Record<string, Readonly<Record<string, string>>>>,
  holdMs: number,
): Promise<FaultWindow> {
  const host = context.session.host;
  if (host === undefined) throw new Error("the drill's session runs no functions host");
  const brokeAt = Date.now();
  await Promise.all(Object.entries(env).map(([fn, vars]) => host.redeploy(fn, { ...vars })));
  const what = Object.entries(env)
    .map(
      ([fn, vars]) =>
        `${fn} ${Object.entries(vars)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")}`,
    )
    .join("; ");
  context.say(`fault: redeployed ${what}`);
  await sleep(holdMs);
  await Promise.all(
    Object.entries(env).map(([fn, vars]) =>
      host.redeploy(fn, Object.fromEntries(Object.keys(vars).map((k) => [k, ""]))),
    ),
  );
  const healedAt = Date.now();
  context.say(`fault healed: redeployed ${Object.keys(env).join(", ")} without the fault`);
  return {
    brokeAt,
    healedAt,
    detail: `${what} for ${((healedAt - brokeAt) / 1000).toFixed(1)} s (then redeployed without)`,
  };
}

function proxiesOf(context: FaultContext): KafkaProxies {
  if (context.proxies === undefined) throw new Error("this drill needs the TCP proxy");
  return context.proxies;
}

/** The functions whose environments the worker-kill drill kills, in turn. */
const victims = [
  "order-commands",
  "order-saga",
  "inventory-commands",
  "order-summary-projector",
  "payment-commands",
  "fast-lane-ledger",
  "delivery-commands",
  "inventory-levels-projector",
];

/** The fault of each drill. */
export const faultActions: Readonly<Record<DrillName, FaultAction>> = {
  "broker-crash": (context) =>
    killBrokers(context, [context.brokerCount === 1 ? 1 : 3], 15_000, "broker crash"),

  "leader-kill": async (context) => {
    const topic = context.session.topic("order-events");
    const leader = await busiestLeader(stateBrokers(), topic);
    return killBrokers(
      context,
      [leader.broker],
      15_000,
      `leader of ${leader.partitions}/${leader.of} partitions of ${topic}`,
    );
  },

  "controller-kill": async (context) => {
    const controller = await activeController(stateBrokers());
    return killBrokers(context, [controller], 15_000, "active controller");
  },

  "two-brokers-down": (context) =>
    killBrokers(context, [2, 3], 20_000, "2 of 3 brokers (below min ISR 2)"),

  "emulator-freeze": (context) => freeze(context, runningEmulatorComponent(), 15_000),

  "dynamodb-freeze": (context) => freeze(context, "dynamodb", 15_000),

  "worker-kill": async (context) => {
    const host = context.session.host;
    if (host === undefined) throw new Error("the drill's session runs no functions host");
    const brokeAt = Date.now();
    const killed = new Map<string, number>();
    let turn = 0;
    while (Date.now() - brokeAt < 20_000) {
      const fn = victims[turn++ % victims.length] ?? "order-saga";
      const tryUntil = Date.now() + 1_500;
      while (Date.now() < tryUntil) {
        if (await host.crashEnvironment(fn)) {
          killed.set(fn, (killed.get(fn) ?? 0) + 1);
          break;
        }
        await sleep(20);
      }
      await sleep(Math.max(0, tryUntil - Date.now()));
    }
    const total = [...killed.values()].reduce((n, k) => n + k, 0);
    const detail = `${total} execution environments killed mid-invocation over 20 s (${[...killed]
      .map(([fn, n]) => `${fn} ${n}`)
      .join(", ")})`;
    context.say(`fault: ${detail}`);
    return { brokeAt, healedAt: Date.now(), detail, strikes: total };
  },

  "handler-fail-every-nth": (context) =>
    redeployed(
      context,
      Object.fromEntries(
        ["order-saga", "payment-commands", "inventory-levels-projector"].map((fn) => [
          fn,
          { DUPLEX_FAULT_FAIL_EVERY: "5" },
        ]),
      ),
      20_000,
    ),

  "proxy-latency": async (context) => {
    const { client, names } = proxiesOf(context);
    const brokeAt = Date.now();
    for (const name of names) {
      for (const stream of ["upstream", "downstream"] as const) {
        await client.addToxic(name, {
          name: `latency-${stream}`,
          type: "latency",
          stream,
          attributes: { latency: 200, jitter: 50 },
        });
      }
    }
    context.say("fault: 200 ms ± 50 ms added each way between clients and brokers (Toxiproxy)");
    try {
      await sleep(20_000);
    } finally {
      // A proxy drill starts with a reset too, so an interrupted one leaves nothing behind.
      await client.reset();
    }
    const healedAt = Date.now();
    context.say("fault healed: latency removed");
    return {
      brokeAt,
      healedAt,
      detail: `+200 ms ± 50 ms each way (≈400 ms per round trip) on every client↔broker connection for ${((healedAt - brokeAt) / 1000).toFixed(1)} s`,
    };
  },

  "proxy-cut": async (context) => {
    const { client, names } = proxiesOf(context);
    const brokeAt = Date.now();
    for (const name of names) await client.setEnabled(name, false);
    context.say("fault: every client↔broker connection cut, new ones refused (Toxiproxy)");
    try {
      await sleep(15_000);
    } finally {
      await client.reset();
    }
    const healedAt = Date.now();
    context.say("fault healed: connections allowed again");
    return {
      brokeAt,
      healedAt,
      detail: `client↔broker connections cut and refused for ${((healedAt - brokeAt) / 1000).toFixed(1)} s (brokers healthy)`,
    };
  },

  "clock-skew": (context) =>
    redeployed(
      context,
      {
        "order-saga": { DUPLEX_FAULT_CLOCK_SKEW_SECONDS: "-300" },
        "payment-commands": { DUPLEX_FAULT_CLOCK_SKEW_SECONDS: "300" },
      },
      25_000,
    ),

  "consumer-throttle": async (context) => {
    const host = context.session.host;
    if (host === undefined) throw new Error("the drill's session runs no functions host");
    const functions = ["order-saga", "payment-commands"];
    const brokeAt = Date.now();
    await Promise.all(functions.map((fn) => host.pauseTriggers(fn)));
    context.say(`fault: ${functions.join(", ")} throttled to 0 (triggers stopped)`);
    try {
      await sleep(20_000);
    } finally {
      for (const fn of functions) host.resumeTriggers(fn);
    }
    const healedAt = Date.now();
    context.say(`fault healed: ${functions.join(", ")} consuming again`);
    return {
      brokeAt,
      healedAt,
      detail: `${functions.join(" and ")} at concurrency 0 for ${((healedAt - brokeAt) / 1000).toFixed(1)} s`,
    };
  },

  "put-events-partial": (context) =>
    redeployed(
      context,
      Object.fromEntries(
        ["order-saga", "saga-sweeper", "outbox-sweeper"].map((fn) => [
          fn,
          { DUPLEX_FAULT_PUT_EVENTS_FAIL_SHARE: "0.5" },
        ]),
      ),
      25_000,
    ),
};

/** Whether a drill needs the TCP proxy between the clients and the brokers. */
export function needsProxy(name: DrillName): boolean {
  return name === "proxy-latency" || name === "proxy-cut";
}
