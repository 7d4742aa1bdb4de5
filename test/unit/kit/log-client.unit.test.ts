import { describe, expect, it } from "vitest";
import { createLogClient } from "../../../functions/kit/log/client.ts";

/**
 * kafkajs is loaded on first use (so no Lambda bundle carries it); from the sources it still
 * works. No broker is needed: closing a producer that never connected only loads the adapter.
 */
describe("createLogClient", () => {
  const connection = { brokers: ["127.0.0.1:1"], clientId: "unit", auth: "none" } as const;

  it("loads the kafkajs adapter on first use and forwards to it", async () => {
    const log = createLogClient(connection, "kafkajs");
    expect(log.name).toBe("kafkajs");
    const producer = log.producer();
    await expect(producer.close()).resolves.toBeUndefined();
    // Not a thenable: awaiting the deferred object gives the object back at once.
    expect(await Promise.resolve(producer)).toBe(producer);
  });

  it("uses @platformatic/kafka by default", () => {
    expect(createLogClient(connection).name).toBe("platformatic");
  });
});
