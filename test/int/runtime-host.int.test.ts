/**
 * The local host's trigger control on the real stack: pausing a function's triggers stops its
 * consumers (records wait in the log, committed offsets stay), resuming picks up where it
 * stopped — and resuming a function that is already running does not leave an untracked second
 * consumer behind that a later pause cannot stop.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEvent } from "../../events/create.ts";
import { LocalSession } from "../../localstack/host/session.ts";
import { note, since, waitForConsumers } from "../support/runtime-stack.ts";

const FUNCTION = "inventory-levels-projector";
let session: LocalSession;

beforeAll(async () => {
  const started = Date.now();
  session = await LocalSession.start({ functions: [FUNCTION], settings: { logLevel: "WARN" } });
  note(`host: session ${session.name} up in ${since(started)} ms`);
});

afterAll(async () => {
  await session?.stop({ deleteTopics: true });
});

describe("local host trigger control", () => {
  it("a paused function takes nothing, even after a redundant resume; resuming catches up", async () => {
    const host = session.host;
    if (host === undefined) throw new Error("no host");
    const productId = `p-${session.name}-pause`;
    const restock = (quantity: number) =>
      createEvent("ProductRestocked", { productId, name: "Jug", unitPriceCents: 900, quantity });
    const restocked = async () =>
      (await session.readModels().get("inventory-levels", productId))?.restocked;

    await session.publish([restock(1)]);
    await session.waitFor("the first restock projected", async () => (await restocked()) === 1);

    // Resuming a running function must not start a second consumer …
    const [group] = host.consumers().filter((c) => c.functionName === FUNCTION);
    if (group === undefined) throw new Error("no consumer group");
    host.resumeTriggers(FUNCTION);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await session.admin.describeGroup(group.groupId)).toMatchObject({
      state: "Stable",
      members: 1,
    });
    // … so that pausing really stops it.
    await host.pauseTriggers(FUNCTION);
    expect(host.consumers().filter((c) => c.running)).toEqual([]);
    await session.publish([restock(10)]);
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await restocked()).toBe(1);

    const t0 = Date.now();
    host.resumeTriggers(FUNCTION);
    await session.waitFor("the paused restock projected", async () => (await restocked()) === 11);
    await waitForConsumers(session, "inventory-events");
    note(`host: paused for 5 s with a record waiting; caught up ${since(t0)} ms after resuming`);
  }, 60_000);
});
