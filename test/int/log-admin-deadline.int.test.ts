/**
 * An admin call to a frozen broker (SIGSTOP: its sockets stay open, nothing answers) fails within
 * the client's admin deadline instead of waiting forever, and the same client answers again once
 * the broker is thawed. Before, `topicOffsets` on an open connection to a frozen broker waited
 * 150 s and more without a word (a rebuild's first step). Both adapters. Freezes the shared
 * stack's brokers for a few seconds: the int project runs files one at a time.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createLogClient, type LogClientName } from "../../functions/kit/log/client.ts";
import { LogAdminError, LogAdminTimeoutError } from "../../functions/kit/log/errors.ts";
import type { LogAdmin } from "../../functions/kit/log/port.ts";
import {
  freezeComponent,
  type StackComponent,
  thawComponent,
} from "../../localstack/stack/faults.ts";

const { kafkaBrokers } = inject("duplexEndpoints");
const suffix = randomUUID().slice(0, 8);
const topic = `int-admin-deadline-${suffix}`;
const brokers = kafkaBrokers.map((_, i): StackComponent => `kafka-${i + 1}`);
const DEADLINE_MS = 4_000;

let setup: LogAdmin;

beforeAll(async () => {
  setup = createLogClient({
    brokers: kafkaBrokers,
    clientId: `int-${suffix}`,
    auth: "none",
  }).admin();
  await setup.createTopics([
    {
      name: topic,
      partitions: 3,
      replicationFactor: kafkaBrokers.length >= 3 ? 3 : 1,
      configs: {},
    },
  ]);
});

afterAll(async () => {
  for (const broker of brokers) thawComponent(broker);
  await setup.deleteTopics([topic]).catch(() => undefined);
  await setup.close();
});

describe.each<LogClientName>(["platformatic", "kafkajs"])("%s admin", (name) => {
  it("fails within its deadline while every broker is frozen, then answers after the thaw", async () => {
    const admin = createLogClient(
      {
        brokers: kafkaBrokers,
        clientId: `int-${name}-${suffix}`,
        auth: "none",
        adminDeadlineMs: DEADLINE_MS,
      },
      name,
    ).admin();
    try {
      // A connection open before the freeze, as a rebuild's has.
      expect(await admin.topicOffsets(topic)).toHaveLength(3);
      for (const broker of brokers) freezeComponent(broker);
      let failure: unknown;
      try {
        await admin.topicOffsets(topic);
      } catch (error) {
        failure = error;
      } finally {
        for (const broker of brokers) thawComponent(broker);
      }
      expect(failure).toBeInstanceOf(LogAdminError);
      expect((failure as LogAdminError).message).toContain(topic);
      expect((failure as LogAdminError).cause).toBeInstanceOf(LogAdminTimeoutError);

      // The late answer of the abandoned call does not break the client.
      const answered = await waitForAnswer(() => admin.topicOffsets(topic));
      expect(answered).toHaveLength(3);
    } finally {
      await admin.close();
    }
  }, 120_000);
});

/** The first answer within a minute (the thawed broker may take a few seconds to catch up). */
async function waitForAnswer<T>(call: () => Promise<T>): Promise<T> {
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
