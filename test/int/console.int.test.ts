/**
 * The operations console in a real headless browser (Debian's Chromium driven by playwright-core)
 * against a session on the real local stack: it loads, shows live lag and a flow's timeline, and
 * in a drill (the payment handler broken, a command dead-lettered, the handler fixed) a redrive
 * from the page — after its dry run — empties the DLQ and the order completes.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConsoleServer, startConsole } from "../../bin/cli/console/server.ts";
import { openLocalTarget } from "../../bin/cli/target/local.ts";
import type { Target } from "../../bin/cli/target/target.ts";
import { createEvent } from "../../events/create.ts";
import { LocalSession } from "../../localstack/host/session.ts";
import { tempDir } from "../support/temp-dirs.ts";

/** Where Debian's package puts Chromium; `.ci/run` installs it. */
const CHROMIUM = process.env.DUPLEX_CHROMIUM ?? "/usr/bin/chromium";
/** With `DUPLEX_UPDATE_SCREENSHOTS=1` the screenshots also replace the ones in docs/. */
const SCREENSHOTS = process.env.DUPLEX_UPDATE_SCREENSHOTS ? join(process.cwd(), "docs") : undefined;

let session: LocalSession;
let target: Target;
let server: ConsoleServer;
let browser: BrowserContext;
let page: Page;
let profile = "";
const shots = tempDir("duplex-console-shots-");
const customerId = () => `c-${session.name}`;
const productId = () => `p-${session.name}-kettle`;

const placeOrder = (orderId: string) =>
  createEvent("PlaceOrderRequested", {
    orderId,
    customerId: customerId(),
    items: [{ productId: productId(), quantity: 1 }],
    shippingAddress: { line1: "1 Main St", city: "Berlin", postalCode: "10115", country: "DE" },
    paymentToken: "tok_visa",
  });

async function orderStatus(orderId: string) {
  return (await session.readModels().get("order-summary", orderId))?.status;
}

async function dlqDepth(command: string): Promise<number> {
  const queue = session.resources.commandQueues[command];
  if (queue === undefined) throw new Error(`no queue for ${command}`);
  const { Attributes } = await session.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queue.dlq.url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
}

/** Waits until the element shows the text (the page refreshes every 2 s). */
async function shows(locator: Locator, text: string | RegExp, timeout = 30_000) {
  await locator.filter({ hasText: text }).first().waitFor({ timeout });
}

async function screenshot(name: string) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  if (SCREENSHOTS !== undefined) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, `console-${name}.png`), fullPage: true });
  }
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`);
  }
  const slow = {
    DUPLEX_SAGA_PAYMENT_TIMEOUT_SECONDS: "900",
    DUPLEX_SAGA_INVENTORY_TIMEOUT_SECONDS: "900",
    DUPLEX_SAGA_DELIVERY_TIMEOUT_SECONDS: "900",
    DUPLEX_SAGA_STEP_TIMEOUT_SECONDS: "900",
  };
  // No reconciler redelivery during the drill: the one dead letter is the one the page redrives.
  session = await LocalSession.start({
    settings: { fastLaneDeadlineSeconds: 900 },
    functionEnv: { "order-saga": slow, "saga-sweeper": slow },
  });
  target = openLocalTarget(session.name);
  server = await startConsole({ target, port: 0, apiUrl: session.host?.api?.url });
  await session.publish([
    createEvent("RegisterCustomerRequested", {
      customerId: customerId(),
      name: "Ada",
      email: "ada@example.com",
    }),
    createEvent("RestockProductRequested", {
      productId: productId(),
      name: "Kettle",
      unitPriceCents: 2500,
      quantity: 10,
    }),
  ]);
  await session.waitFor(
    "the product",
    () => session.readModels().get("inventory-levels", productId()),
    120_000,
  );
  profile = tempDir("duplex-chromium-");
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = browser.pages()[0] ?? (await browser.newPage());
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await target?.close();
  await session?.stop({ deleteTopics: true });
});

describe("operations console (headless Chromium)", () => {
  it("loads and shows live lag, throughput and a flow's timeline", async () => {
    const order = placeOrder(`o-${session.name}-1`);
    await session.publish([order]);
    await session.waitFor(
      "the order completed",
      async () => (await orderStatus(order.data.orderId)) === "COMPLETED",
      180_000,
      500,
    );
    await page.goto(server.url);
    await page.waitForSelector("body[data-loaded=true]", { timeout: 120_000 });
    await shows(page.locator("#target"), `session ${session.name}`);
    // Lag per group, live: every declared group is listed with its lag.
    const groups = page.locator("#lag tbody tr[data-group]");
    await groups.first().waitFor({ timeout: 60_000 });
    expect(await groups.count()).toBeGreaterThanOrEqual(10);
    await page
      .locator(
        `#lag tr[data-group="${session.topicPrefix}duplex-order-summary-projector.order-events"]`,
      )
      .waitFor();
    await page
      .locator("#throughput tbody tr", { hasText: "order-events" })
      .waitFor({ timeout: 60_000 });
    await groups.first().click();
    await page.locator("#lag tr.sub").first().waitFor({ timeout: 30_000 });
    await screenshot("overview");

    await page.click('nav a[data-view="flow"]');
    await page.fill("#flow-id", order.correlationId);
    await page.click('#flow-form button[type="submit"]');
    await page.locator("#flow-table tr.event", { hasText: "OrderCompleted" }).waitFor({
      timeout: 120_000,
    });
    const first = await page.locator("#flow-table tr.event").first().textContent();
    expect(first).toContain("PlaceOrderRequested");
    await screenshot("flow");
  }, 600_000);

  it("redrives a DLQ from the page in a drill: dry run first, then the DLQ empties and the order completes", async () => {
    await session.host?.redeploy("payment-commands", {
      DUPLEX_FAULT_FAIL_ON: "ProcessPaymentRequested",
    });
    const order = placeOrder(`o-${session.name}-2`);
    await session.publish([order]);
    await session.waitFor(
      "the payment command in its DLQ",
      async () => (await dlqDepth("ProcessPaymentRequested")) >= 1,
      300_000,
      1_000,
    );
    await session.host?.redeploy("payment-commands", { DUPLEX_FAULT_FAIL_ON: "" });

    await page.click('nav a[data-view="dlq"]');
    const row = page.locator('#dlq tr[data-dlq="ProcessPaymentRequested"]');
    await row.waitFor({ timeout: 60_000 });
    await shows(row.locator("td.count"), /^1$/, 60_000);
    await row.click();
    await page.locator("#letters .letter", { hasText: order.data.orderId }).waitFor({
      timeout: 60_000,
    });
    await shows(page.locator("#letters .letter").first(), "ProcessPaymentRequested");
    await shows(page.locator("#letters .letter").first(), "payment-commands");
    await screenshot("dead-letters");

    await page.click("#dry-run");
    await shows(page.locator("#redrive-result"), "would redrive 1", 60_000);
    // The dry run moved nothing: the letter is still there. Polled, because the counts are
    // approximate and the page itself receives and releases the letter every 2 s: LocalStack
    // 4.14.0 once answered 0 visible + 0 in flight right after the dry run although its request
    // log showed no delete or send on any queue (docs/local-parity.md, SQS).
    await session.waitFor(
      "the letter still in the DLQ after the dry run",
      async () => (await dlqDepth("ProcessPaymentRequested")) === 1,
      60_000,
      500,
    );

    await page.click("#redrive");
    await shows(page.locator("#redrive-result"), "redrove 1 of 1", 60_000);
    await shows(row.locator("td.count"), /^0$/, 60_000);
    expect(await dlqDepth("ProcessPaymentRequested")).toBe(0);
    await session.waitFor(
      "the redriven order completed",
      async () => (await orderStatus(order.data.orderId)) === "COMPLETED",
      180_000,
      500,
    );

    await page.click('nav a[data-view="rebuilds"]');
    await page.locator("#rebuilds tbody tr", { hasText: "order-summary" }).waitFor({
      timeout: 60_000,
    });
    await screenshot("rebuilds");
  }, 900_000);
});
