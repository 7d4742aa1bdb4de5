import type { RunningOrders } from "../demo/run.ts";
import type { DrillName } from "./catalog.ts";
import type { FaultWindow } from "./faults.ts";
import { faultActions } from "./faults.ts";

/**
 * The faults of `npm start -- --chaos`, one after another while the orders flow: a broker dies,
 * the AWS emulator freezes, execution environments are killed mid-batch, DynamoDB freezes,
 * PutEvents fails entry by entry, two consumers are throttled. With 3 brokers the broker fault is
 * the partition leader's death instead.
 */
export function chaosSchedule(brokers: 1 | 3): readonly DrillName[] {
  return [
    brokers === 1 ? "broker-crash" : "leader-kill",
    "emulator-freeze",
    "worker-kill",
    "dynamodb-freeze",
    "put-events-partial",
    "consumer-throttle",
  ];
}

/** A fault of the schedule as it happened. */
export interface ChaosStep {
  readonly drill: DrillName;
  readonly window: FaultWindow;
}

/**
 * Runs the chaos schedule against a run in progress, starting 5 s after the first order, with a
 * few seconds of calm between faults.
 */
export async function runChaos(run: RunningOrders, brokers: 1 | 3): Promise<ChaosStep[]> {
  const steps: ChaosStep[] = [];
  await new Promise((r) => setTimeout(r, Math.max(0, run.placementStartedAt + 5_000 - Date.now())));
  for (const drill of chaosSchedule(brokers)) {
    run.say(`chaos: ${drill}`);
    const window = await faultActions[drill]({
      session: run.session,
      brokerCount: brokers,
      proxies: undefined,
      say: (line) => run.say(`  ${line}`),
    });
    steps.push({ drill, window });
    await new Promise((r) => setTimeout(r, 4_000));
  }
  return steps;
}
