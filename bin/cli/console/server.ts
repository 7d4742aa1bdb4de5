import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { causationDepths, flowTimeline } from "../../../functions/kit/log-query/flows.ts";
import { declaredGroups } from "../../../functions/kit/log-query/groups.ts";
import { measureLag } from "../../../functions/kit/log-query/lag.ts";
import { destinationNamed } from "../dlq/destinations.ts";
import { contents, type SettleReporter, settleDestination } from "../dlq/settle.ts";
import { parseFilter } from "../dlq/view.ts";
import type { Target } from "../target/target.ts";
import { deadLetterSummary, rebuildProgress, sagasInFlight, ThroughputSampler } from "./sources.ts";

/** Environment variable with the console's port; `duplex console --port` wins over it. */
export const CONSOLE_PORT_ENV = "DUPLEX_CONSOLE_PORT";

/** The console's port when neither `--port` nor {@link CONSOLE_PORT_ENV} says otherwise. */
export const DEFAULT_CONSOLE_PORT = 8788;

/** The header every state-changing request must carry (the token is in the page). */
export const CONSOLE_TOKEN_HEADER = "x-duplex-console-token";

const staticDir = new URL("./static/", import.meta.url);
const assets: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

export interface ConsoleServer {
  readonly url: string;
  close(): Promise<void>;
}

export interface ConsoleOptions {
  readonly target: Target;
  /** 0 picks a free port. */
  readonly port: number;
  /** Local HTTP API of the session, shown in the header. */
  readonly apiUrl?: string | undefined;
}

class BadRequest extends Error {}

/**
 * Runs DLQ operations one after the other. Reading an SQS dead-letter queue receives its messages
 * (they are invisible until released), so a redrive that overlapped the page's own 2-second
 * listing found the letter held by the listing and moved nothing ("redrove 0 of 0").
 */
function oneAtATime(): <T>(work: () => Promise<T>) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return (work) => {
    const turn = last.then(work, work);
    last = turn.catch(() => undefined);
    return turn;
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  response.end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new BadRequest("body too large");
    chunks.push(chunk as Buffer);
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    throw new BadRequest("expected a JSON body");
  }
}

/** The redrive button's reporter: the console shows the result, nobody is asked to confirm. */
const quiet: SettleReporter = {
  line: () => undefined,
  note: () => undefined,
  dryRun: () => undefined,
  confirm: async () => true,
  progress: () => ({ update: () => undefined, done: () => undefined }),
};

/**
 * The operations console: a page (plain HTML and JavaScript, no build) and the JSON it polls,
 * served by the CLI process on 127.0.0.1 only. Everything it shows is read with the CLI's own
 * modules from the CLI's target (a local session or an AWS stage): events/s per topic, lag per
 * group and partition, sagas in flight, dead letters (with redrive and its dry run), a flow's
 * timeline, rebuild progress. A redrive needs the per-process token embedded in the page, and
 * requests must name 127.0.0.1/localhost as their host (no DNS rebinding).
 *
 * @example
 * ```ts
 * const console = await startConsole({ target, port: 8788 });
 * // open console.url; await console.close() when done
 * ```
 */
export async function startConsole(options: ConsoleOptions): Promise<ConsoleServer> {
  const { target } = options;
  const token = randomBytes(16).toString("hex");
  const sampler = new ThroughputSampler(target);
  sampler.start();
  let bound = 0;
  const dlqTurn = oneAtATime();

  const routes: Record<string, (request: IncomingMessage, url: URL) => Promise<unknown>> = {
    "GET /api/overview": async () => ({
      target: target.label,
      kind: target.kind,
      apiUrl: options.apiUrl,
      at: new Date().toISOString(),
    }),
    "GET /api/throughput": async () => ({ topics: sampler.rates() }),
    "GET /api/lag": async () => ({ groups: await measureLag(target, declaredGroups()) }),
    "GET /api/sagas": async () => ({ sagas: await sagasInFlight(target) }),
    "GET /api/dlq": () => dlqTurn(async () => ({ destinations: await deadLetterSummary(target) })),
    "GET /api/dlq/letters": (_request, url) =>
      dlqTurn(async () => {
        const destination = destinationNamed(target, url.searchParams.get("name") ?? "");
        const found = await contents(target, destination, 10, 200);
        await found.release();
        return { destination: destination.name, letters: found.letters };
      }),
    "POST /api/dlq/redrive": async (request) => {
      if (request.headers[CONSOLE_TOKEN_HEADER] !== token) {
        throw new BadRequest(`missing or wrong ${CONSOLE_TOKEN_HEADER}`);
      }
      const body = await readJson(request);
      if (typeof body.name !== "string") throw new BadRequest("expected { name, dryRun }");
      const destination = destinationNamed(target, body.name);
      const result = await dlqTurn(() =>
        settleDestination(
          quiet,
          target,
          destination,
          parseFilter({}),
          "redrive",
          body.dryRun === true,
        ),
      );
      return { dryRun: body.dryRun === true, ...result };
    },
    "GET /api/flow": async (_request, url) => {
      const id = url.searchParams.get("id") ?? "";
      if (id === "") throw new BadRequest("expected ?id=<correlation id>");
      const events = await flowTimeline(target, id, { fromMs: Date.now() - 7 * 86_400_000 });
      const depths = causationDepths(events);
      return {
        correlationId: id,
        events: events.map((e) => ({
          ...e.event,
          topic: e.topic,
          partition: e.partition,
          offset: e.offset,
          depth: depths.get(e.event.eventId) ?? 0,
        })),
      };
    },
    "GET /api/rebuilds": async () => ({ projections: await rebuildProgress(target) }),
  };

  const server = createServer((request, response) => {
    void (async () => {
      const host = (request.headers.host ?? "").split(":")[0];
      if (host !== "127.0.0.1" && host !== "localhost") {
        send(response, 421, { error: "the console answers to 127.0.0.1 or localhost only" });
        return;
      }
      const url = new URL(request.url ?? "/", `http://127.0.0.1:${bound}`);
      const asset = request.method === "GET" ? assets[url.pathname] : undefined;
      if (asset !== undefined) {
        let text = readFileSync(new URL(asset.file, staticDir), "utf8");
        if (asset.file === "index.html") text = text.replace("__CONSOLE_TOKEN__", token);
        response.writeHead(200, { "content-type": asset.type, "cache-control": "no-store" });
        response.end(text);
        return;
      }
      const route = routes[`${request.method} ${url.pathname}`];
      if (route === undefined) {
        send(response, 404, { error: `no route ${request.method} ${url.pathname}` });
        return;
      }
      try {
        send(response, 200, await route(request, url));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const status =
          error instanceof BadRequest ? 400 : /^(no |unknown )/i.test(message) ? 404 : 500;
        send(response, status, {
          error: message,
          ...(error instanceof Error ? { name: error.name } : {}),
        });
      }
    })().catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, { error: String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  bound = typeof address === "object" && address !== null ? address.port : options.port;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        sampler.stop();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
