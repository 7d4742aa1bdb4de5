/**
 * A run of the main job that times out (a burst far bigger than its timeout): the writers are
 * stopped and the projectors let catch up before the checks, so the checks describe a system
 * standing still. Before, they ran while the functions still wrote and reported acknowledged
 * events as "lost" (appended after the checker had read the log) and read models as different.
 * Resumed afterwards, the writers end every order.
 */
import { afterAll, describe, expect, it } from "vitest";
import { everyOrderTerminal, moneyConserved } from "../../localstack/demo/invariants.ts";
import { readOutcomes } from "../../localstack/demo/outcomes.ts";
import type { OrderRunResult } from "../../localstack/demo/run.ts";
import { runOrders } from "../../localstack/demo/run.ts";

let run: OrderRunResult | undefined;

afterAll(async () => {
  await run?.session.stop({ deleteTopics: true });
});

describe("a run that times out", () => {
  it("stops its writers, then finds nothing lost and every read model equal to a rebuild", async () => {
    const lines: string[] = [];
    run = await runOrders({
      customers: 10,
      orders: 100,
      rate: 0,
      failureShare: 0.25,
      seed: 7,
      timeoutSeconds: 10,
      sessionName: "timeout-run",
      say: (line) => lines.push(line),
      live: false,
    });
    // 100 orders in one burst cannot all end 10 s after the last is placed on this stack.
    expect(run.drained).toBe(false);
    expect(run.notEndedAtTimeout).toBeGreaterThan(0);
    expect(lines.join("\n")).toMatch(/timed out: \d+ of \d+ orders had not ended/);

    const byName = new Map(run.invariants.map((i) => [i.name, i]));
    expect(byName.get("every order reached a terminal state")?.ok).toBe(false);
    for (const name of [
      "stock is conserved (restocked = available + reserved + shipped)",
      "money is conserved (captured − refunded = revenue of completed orders)",
      "read models equal a rebuild from offset 0",
    ]) {
      expect(byName.get(name), name).toMatchObject({ ok: true });
    }
    const history = run.history?.report;
    expect(history?.violations).toEqual([]);
    expect(history).toMatchObject({ ok: true, lost: 0, duplicateEffects: 0 });
    expect(history?.unconsumedWhenStopped).toBeGreaterThan(0);

    // Started again (as `npm start -- --serve` does), the writers finish every order: stopping
    // them mid-flight lost nothing, and the balance now holds over every order.
    const { session } = run;
    const orderIds = [...run.outcomes.orders.keys()];
    session.host?.resumeAll();
    await session.waitFor(
      "every order to end once the writers run again",
      async () => (await readOutcomes(session, orderIds)).orderCounts.notEnded === 0,
      480_000,
      5_000,
    );
    await session.settle(120_000);
    expect(everyOrderTerminal(await readOutcomes(session, orderIds)).ok).toBe(true);
    expect(await moneyConserved(session)).toMatchObject({ ok: true });
  }, 1_200_000);
});
