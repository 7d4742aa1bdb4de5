/**
 * The request counter's process (see `request-counter.ts`): one HTTP proxy per emulator that
 * forwards every request unchanged and counts it by API. It runs in its own process so that its
 * CPU is not counted as the host's or the emulators'.
 */
import { Agent, createServer, request as forward, type IncomingMessage } from "node:http";

interface Route {
  readonly name: string;
  readonly listenPort: number;
  readonly target: string;
}

type Input = { routes: readonly Route[] };
type Message = { kind: "counts"; reset?: boolean };

const counts = new Map<string, number>();

/**
 * The API a request calls: the JSON protocols (DynamoDB, SQS, EventBridge) name it in
 * `X-Amz-Target` (`DynamoDB_20120810.PutItem`, `AmazonSQS.ReceiveMessage`, `AWSEvents.PutEvents`);
 * the query protocol (CloudWatch) in the body's `Action`, which is not parsed here.
 */
function apiOf(route: Route, request: IncomingMessage): string {
  const target = request.headers["x-amz-target"];
  const operation =
    typeof target === "string" ? (target.split(".").pop() ?? target) : `${request.method} other`;
  return `${route.name} ${operation}`;
}

/** Starts the proxy of one route; resolves with the port it listens on. */
function serve(route: Route): Promise<number> {
  const target = new URL(route.target);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const server = createServer((incoming, outgoing) => {
    const api = apiOf(route, incoming);
    counts.set(api, (counts.get(api) ?? 0) + 1);
    const upstream = forward(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
        agent,
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    upstream.on("error", (error) => {
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end(String(error));
    });
    // A client that gives up (an aborted long poll) ends the upstream request too.
    outgoing.on("close", () => {
      if (!outgoing.writableFinished) upstream.destroy();
    });
    incoming.pipe(upstream);
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(route.listenPort, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : route.listenPort);
    });
  });
}

process.once("message", (input: Input) => {
  Promise.all(input.routes.map(serve)).then(
    (ports) => process.send?.({ ready: true, ports }),
    (error: unknown) => process.send?.({ ready: false, error: String(error) }),
  );
  process.on("message", (message: Message) => {
    if (message.kind !== "counts") return;
    process.send?.({ counts: Object.fromEntries(counts) });
    if (message.reset) counts.clear();
  });
});
process.on("disconnect", () => process.exit(0));
