/**
 * Operators on a deployed stage reach Kafka through the log-operations function, and check a stage
 * with `duplex doctor`. Both run here against a real local session: the function is the same
 * handler the stack deploys, invoked through the session's control endpoint (what Lambda's Invoke
 * is on AWS); every CLI command below runs the real binary with `--log-via function`, and doctor
 * is shown to fail, with the right line, on a stopped mapping, a rule without target and a dead
 * letter.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PutTargetsCommand, RemoveTargetsCommand } from "@aws-sdk/client-eventbridge";
import { PurgeQueueCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  controlEndpointInvoker,
  type LogOperationsInvoker,
} from "../../bin/cli/target/invokers.ts";
import { createEvent } from "../../events/create.ts";
import { consumerGroupFor } from "../../functions/kit/declarations.ts";
import {
  MAX_PRODUCE_BYTES,
  type WirePartitionPage,
} from "../../functions/log-operations/protocol.ts";
import { declaration as orderSaga } from "../../functions/order-saga/function.ts";
import { CONTROL_TOKEN_HEADER } from "../../localstack/host/control.ts";
import { LocalSession } from "../../localstack/host/session.ts";
import { duplexRunWithEnv } from "../support/duplex-cli.ts";
import { tempDir } from "../support/temp-dirs.ts";

let session: LocalSession;
let ops: LogOperationsInvoker;
const VIA_FUNCTION = { DUPLEX_LOG_VIA: "function" };
const duplex = (session: string, args: readonly string[], env: Record<string, string> = {}) =>
  duplexRunWithEnv(session, args, env);

beforeAll(async () => {
  session = await LocalSession.start();
  const control = session.describe().control;
  if (control === undefined) throw new Error("the session has no control endpoint");
  ops = controlEndpointInvoker(session.name, control);
  await session.publish([
    createEvent("RestockProductRequested", {
      productId: `p-${session.name}`,
      name: "Kettle",
      unitPriceCents: 1999,
      quantity: 10,
    }),
  ]);
  await session.settle(120_000);
});

afterAll(async () => {
  await session?.stop({ deleteTopics: true });
});

describe("the log-operations function (the handler the stack deploys, run by the local host)", () => {
  const probe = () => `${session.name}.ops-probe`;

  it("appends, then reads back every record in pages that respect the size asked for", async () => {
    expect(
      await ops.invoke({
        op: "createTopics",
        topics: [{ name: probe(), partitions: 1, replicationFactor: 1, configs: {} }],
      }),
    ).toEqual({ ok: true, result: null });
    const records = Array.from({ length: 40 }, (_, i) => ({
      topic: probe(),
      key: `k${i}`,
      value: Buffer.from(`${i}:${"x".repeat(900)}`).toString("base64"),
      headers: { n: String(i) },
    }));
    expect(await ops.invoke({ op: "produce", records })).toEqual({
      ok: true,
      result: {
        appended: 40,
        positions: records.map((_, i) => ({ topic: probe(), partition: 0, offset: String(i) })),
      },
    });
    const seen: string[] = [];
    let offset = "0";
    let pages = 0;
    while (seen.length < 40 && pages < 50) {
      const answer = await ops.invoke({
        op: "read",
        positions: [{ topic: probe(), partition: 0, offset }],
        maxBytes: 10_000,
      });
      if (!answer.ok) throw new Error(JSON.stringify(answer.error));
      const [page] = answer.result as WirePartitionPage[];
      if (page === undefined) throw new Error("no page");
      const bytes = page.records.reduce(
        (n, r) => n + Buffer.from(r.value ?? "", "base64").length + (r.key?.length ?? 0) + 2,
        0,
      );
      expect(bytes).toBeLessThanOrEqual(10_000);
      for (const r of page.records) {
        expect(r.offset).toBe(String(seen.length));
        expect(Buffer.from(r.key ?? "", "base64").toString()).toBe(`k${seen.length}`);
        expect(Buffer.from(r.headers.n ?? "", "base64").toString()).toBe(String(seen.length));
        seen.push(
          Buffer.from(r.value ?? "", "base64")
            .toString()
            .split(":")[0] ?? "",
        );
      }
      offset = page.nextOffset;
      pages++;
    }
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
    expect(pages).toBeGreaterThan(3); // ~37 KB of records, 10 KB a page
  });

  it("says where a partition starts when asked for an offset it does not hold", async () => {
    const answer = await ops.invoke({
      op: "read",
      positions: [{ topic: probe(), partition: 0, offset: "100000" }],
    });
    expect(answer).toMatchObject({
      ok: false,
      error: { name: "OffsetOutOfRange", topic: probe(), partition: 0, logStartOffset: "0" },
    });
  });

  it("refuses a malformed request naming the field, and a produce over its size limit", async () => {
    expect(await ops.invoke({ op: "read", positions: [] } as never)).toMatchObject({
      ok: false,
      error: { name: "BadRequest", message: expect.stringMatching(/^positions: /) },
    });
    expect(await ops.invoke({ op: "nope" } as never)).toMatchObject({
      ok: false,
      error: { name: "BadRequest" },
    });
    const big = Buffer.alloc(MAX_PRODUCE_BYTES / 2 + 1).toString("base64");
    expect(
      await ops.invoke({
        op: "produce",
        records: [0, 1].map((i) => ({ topic: probe(), key: `b${i}`, value: big, headers: {} })),
      }),
    ).toMatchObject({ ok: false, error: { name: "TooLarge" } });
  });

  it("is the only function the control endpoint lets operators invoke", async () => {
    const control = session.describe().control;
    const response = await fetch(`${control?.url}/functions/order-saga/invoke`, {
      method: "POST",
      headers: { [CONTROL_TOKEN_HEADER]: control?.token ?? "" },
      body: "{}",
    });
    expect(response.status).toBe(404);
  });
});

// Each CLI run is a Node process; on a loaded machine one takes tens of seconds.
const CLI_TEST_MS = 600_000;

describe("every duplex command through the log-operations function", {
  timeout: CLI_TEST_MS,
}, () => {
  it("publishes, and reads an aggregate's state as the brokers do", async () => {
    const productId = `p-${session.name}-mug`;
    const file = join(tempDir("duplex-ops-"), "restock.json");
    writeFileSync(
      file,
      JSON.stringify({
        eventType: "RestockProductRequested",
        data: { productId, name: "Mug", unitPriceCents: 500, quantity: 3 },
      }),
    );
    const published = await duplex(session.name, ["publish", file], VIA_FUNCTION);
    expect(published.code, published.stderr).toBe(0);
    await session.waitFor(
      "the restock to be applied",
      async () => {
        const run = await duplex(session.name, ["state", "Product", productId], VIA_FUNCTION);
        return (run.json.state as { available?: number } | undefined)?.available === 3 && run;
      },
      120_000,
      2_000,
    );
    const direct = await duplex(session.name, ["state", "Product", productId]);
    const remote = await duplex(session.name, ["state", "Product", productId], VIA_FUNCTION);
    expect(remote.code).toBe(0);
    expect(remote.json.state).toEqual(direct.json.state);
    expect(remote.json.events).toEqual(direct.json.events);
  });

  it("shows the same lag, dead letters and replay plan", async () => {
    for (const args of [
      ["lag"],
      ["dlq", "list", "--all"],
      [
        "replay",
        "log",
        "--group",
        "inventory-levels-projector",
        "--topic",
        "inventory-events",
        "--to-earliest",
        "--dry-run",
      ],
    ]) {
      const direct = await duplex(session.name, args);
      const remote = await duplex(session.name, args, VIA_FUNCTION);
      expect([args.join(" "), remote.code]).toEqual([args.join(" "), direct.code]);
      // Only when it was asked differs (`at`).
      const { at: _remoteAt, ...remoteResult } = remote.json;
      const { at: _directAt, ...directResult } = direct.json;
      expect(remoteResult).toEqual(directResult);
    }
  });

  it("rebuilds a projection, reading the log page by page", async () => {
    const run = await duplex(
      session.name,
      ["projection", "rebuild", "inventory-levels", "--verify"],
      VIA_FUNCTION,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({
      projection: "inventory-levels",
      switched: true,
      differences: [],
    });
    expect(run.json.events as number).toBeGreaterThan(0);
  });
});

describe("duplex doctor", { timeout: CLI_TEST_MS }, () => {
  const lines = (run: { json: Record<string, unknown> }) =>
    (run.json.checks as { check: string; status: string; detail: string }[]) ?? [];

  it("finds a healthy session healthy (through the function too)", async () => {
    for (const env of [{}, VIA_FUNCTION]) {
      const run = await duplex(session.name, ["doctor"], env);
      expect(lines(run).filter((l) => l.status === "fail")).toEqual([]);
      expect(run.code).toBe(0);
      const checks = lines(run).map((l) => l.check);
      expect(checks).toContain(`mapping order-saga ← ${session.name}.payment-events`);
      expect(checks).toContain("rule ProcessPaymentRequested");
      expect(checks).toContain("topics");
      expect(checks).toContain("dlq dead-letters");
      expect(lines(run).find((l) => l.check === "alarms")?.status).toBe("skip");
    }
  });

  it("fails on a mapping that is not consuming, naming it", async () => {
    const trigger = orderSaga.trigger;
    if (trigger.kind !== "log") throw new Error("order-saga reads the log");
    const group = `${session.name}.${consumerGroupFor(trigger, "payment-events")}`;
    await session.host?.pauseConsumer(group);
    try {
      const run = await duplex(session.name, ["doctor"]);
      expect(run.code).toBe(1);
      expect(lines(run).filter((l) => l.status === "fail")).toEqual([
        {
          check: `mapping order-saga ← ${session.name}.payment-events`,
          status: "fail",
          detail: "stopped: not consuming",
        },
      ]);
    } finally {
      session.host?.resumeConsumer(group);
    }
  });

  it("fails on a rule without its target, and on a dead letter, naming them", async () => {
    const queue = session.resources.commandQueues.ProcessPaymentRequested;
    if (queue === undefined) throw new Error("no ProcessPaymentRequested queue");
    const bus = session.resources.eventBusName;
    await session.eventBridge.send(
      new RemoveTargetsCommand({ Rule: queue.ruleName, EventBusName: bus, Ids: ["queue"] }),
    );
    await session.sqs.send(new SendMessageCommand({ QueueUrl: queue.dlq.url, MessageBody: "{}" }));
    try {
      const run = await duplex(session.name, ["doctor"]);
      expect(run.code).toBe(1);
      const failed = lines(run).filter((l) => l.status === "fail");
      expect(failed.map((l) => l.check)).toEqual([
        "rule ProcessPaymentRequested",
        "dlq ProcessPaymentRequested",
      ]);
      expect(failed[0]?.detail).toMatch(/^no target: ProcessPaymentRequested reaches no queue/);
      expect(failed[1]?.detail).toMatch(/^1 dead letter\(s\)/);
    } finally {
      await session.eventBridge.send(
        new PutTargetsCommand({
          Rule: queue.ruleName,
          EventBusName: bus,
          Targets: [
            {
              Id: "queue",
              Arn: queue.arn,
              DeadLetterConfig: { Arn: session.resources.ruleTargetDlq.arn },
            },
          ],
        }),
      );
      await session.sqs.send(new PurgeQueueCommand({ QueueUrl: queue.dlq.url }));
    }
  });
});
