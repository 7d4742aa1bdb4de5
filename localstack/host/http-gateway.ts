import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { HttpTrigger } from "../../functions/kit/declarations.ts";
import type { LocalFunction } from "./local-function.ts";

/** API Gateway's payload limit for HTTP APIs (10 MB); larger requests never reach a function. */
export const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Environment variable with the local API's port (`npm start -- --serve`); 0 picks a free one. */
export const API_PORT_ENV = "DUPLEX_API_PORT";

/** The port the demo serves the API on when {@link API_PORT_ENV} is unset. */
export const DEFAULT_API_PORT = 8787;

interface CompiledRoute {
  readonly routeKey: string;
  readonly method: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly fn: LocalFunction;
}

/** Compiles `/commands/{type}` to a matcher of one path segment per parameter. */
function compile(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path
    .split("/")
    .map((segment) => {
      const param = /^\{([A-Za-z0-9_]+)\}$/.exec(segment);
      if (param?.[1] === undefined) return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(param[1]);
      return "([^/]+)";
    })
    .join("/");
  return { pattern: new RegExp(`^${source}$`), names };
}

function gatewayAnswer(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify({ message }));
}

/**
 * The API Gateway HTTP API request event (payload format 2.0) of a Node request; `accountId` is
 * the emulator's (the host passes the account of its resources' ARNs).
 */
export function toGatewayEvent(
  request: IncomingMessage,
  url: URL,
  route: CompiledRoute,
  match: RegExpExecArray,
  body: Buffer | undefined,
  accountId = "000000000000",
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  }
  const pathParameters = Object.fromEntries(route.names.map((n, i) => [n, match[i + 1] ?? ""]));
  const text = body === undefined || body.length === 0 ? undefined : body;
  const isText = /json|text|xml|x-www-form-urlencoded/i.test(headers["content-type"] ?? "json");
  const now = new Date();
  return {
    version: "2.0",
    routeKey: route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ""),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(route.names.length > 0 ? { pathParameters } : {}),
    requestContext: {
      accountId,
      apiId: "local",
      domainName: headers.host ?? "127.0.0.1",
      domainPrefix: "127",
      http: {
        method: request.method ?? "GET",
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey: route.routeKey,
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(text === undefined
      ? {}
      : { body: isText ? text.toString("utf8") : text.toString("base64") }),
    isBase64Encoded: text !== undefined && !isText,
  };
}

/** A running local HTTP API. */
export interface HttpGateway {
  readonly url: string;
  readonly routes: readonly string[];
  close(): Promise<void>;
}

/**
 * The local stand-in for API Gateway's HTTP API: routes from the functions' `http` triggers, each
 * request turned into the payload-format-2.0 event and invoked on the function like a Lambda
 * proxy integration, its answer written back. As API Gateway does: `404 {"message":"Not Found"}`
 * for no route, `413` above 10 MB, `500 {"message":"Internal Server Error"}` when the invocation
 * fails. Listens on 127.0.0.1 only, without auth (IAM/JWT are AWS's). `accountId` goes into each
 * event's `requestContext` (default `000000000000` when there is no emulator to take one from).
 *
 * @example
 * ```ts
 * const api = await startHttpGateway([commandApi, queryApi], 0, "000000000000");
 * await fetch(`${api.url}/commands/PlaceOrderRequested`, { method: "POST", body });
 * ```
 */
export async function startHttpGateway(
  functions: readonly LocalFunction[],
  port: number,
  accountId?: string,
): Promise<HttpGateway> {
  const routes: CompiledRoute[] = [];
  for (const fn of functions) {
    const trigger = fn.declaration.trigger as HttpTrigger;
    for (const route of trigger.routes) {
      routes.push({
        routeKey: `${route.method} ${route.path}`,
        method: route.method,
        ...compile(route.path),
        fn,
      });
    }
  }
  const server: Server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      let found: { route: CompiledRoute; match: RegExpExecArray } | undefined;
      for (const route of routes) {
        const match = route.pattern.exec(url.pathname);
        if (match !== null && route.method === request.method) {
          found = { route, match };
          break;
        }
      }
      if (found === undefined) {
        request.resume();
        gatewayAnswer(response, 404, "Not Found");
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of request) {
        size += (chunk as Buffer).length;
        if (size > GATEWAY_MAX_BODY_BYTES) {
          gatewayAnswer(response, 413, "Request Entity Too Large");
          request.destroy();
          return;
        }
        chunks.push(chunk as Buffer);
      }
      const event = toGatewayEvent(
        request,
        url,
        found.route,
        found.match,
        Buffer.concat(chunks),
        accountId,
      );
      let result: unknown;
      try {
        result = await found.route.fn.invoke(event);
      } catch {
        gatewayAnswer(response, 500, "Internal Server Error");
        return;
      }
      writeResult(response, result);
    })().catch(() => {
      if (!response.headersSent) gatewayAnswer(response, 500, "Internal Server Error");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const bound = typeof address === "object" && address !== null ? address.port : port;
  return {
    url: `http://127.0.0.1:${bound}`,
    routes: routes.map((r) => r.routeKey),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes a Lambda proxy answer as API Gateway does (a bare value is a 200 JSON body). */
function writeResult(response: ServerResponse, result: unknown): void {
  if (typeof result === "object" && result !== null && "statusCode" in result) {
    const r = result as APIGatewayProxyStructuredResultV2;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(r.headers ?? {})) headers[k] = String(v);
    if (r.cookies !== undefined && r.cookies.length > 0) headers["set-cookie"] = r.cookies;
    response.writeHead(r.statusCode ?? 200, headers);
    response.end(
      r.body === undefined ? "" : r.isBase64Encoded ? Buffer.from(r.body, "base64") : r.body,
    );
    return;
  }
  response.writeHead(200, { "content-type": "application/json" });
  response.end(typeof result === "string" ? result : JSON.stringify(result ?? null));
}
