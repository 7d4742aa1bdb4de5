import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import type { FunctionDeclaration, HttpTrigger } from "../declarations.ts";
import { MetricUnit } from "../observability.ts";
import type { Runtime } from "../runtime.ts";
import { HttpProblem } from "./errors.ts";
import { type HttpResult, problem } from "./responses.ts";

/** One request as a route sees it (API Gateway HTTP API payload format 2.0, normalised). */
export interface HttpRequest {
  /** `POST /commands/{type}`: the declared route that matched. */
  readonly routeKey: string;
  readonly path: string;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body as UTF-8 text (`undefined` when there is none). */
  readonly body: string | undefined;
  /**
   * Who called: the IAM principal (`userArn`) or the JWT subject (`iss|sub`); `anonymous`
   * locally, where the API listens on 127.0.0.1 only.
   */
  readonly caller: string;
  readonly requestId: string;
}

export type RouteHandler = (request: HttpRequest, context: Context) => Promise<HttpResult>;

export interface HttpHandlerOptions {
  readonly declaration: FunctionDeclaration;
  readonly runtime: Runtime;
  /** One handler per declared route, keyed `METHOD /path` exactly as declared. */
  readonly routes: Readonly<Record<string, RouteHandler>>;
}

/** `METHOD /path` of each route a declaration lists. */
export function routeKeysOf(trigger: HttpTrigger): string[] {
  return trigger.routes.map((r) => `${r.method} ${r.path}`);
}

function callerOf(event: APIGatewayProxyEventV2): string {
  const authorizer = (
    event.requestContext as {
      authorizer?: {
        iam?: { userArn?: string };
        jwt?: { claims?: Record<string, unknown> };
      };
    }
  ).authorizer;
  if (authorizer?.iam?.userArn) return authorizer.iam.userArn;
  const claims = authorizer?.jwt?.claims;
  if (claims?.sub !== undefined) return `${String(claims.iss ?? "")}|${String(claims.sub)}`;
  return "anonymous";
}

function lowerCased(headers: Readonly<Record<string, string | undefined>> | undefined) {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name.toLowerCase()] = value;
  }
  return out;
}

/**
 * A Lambda handler for HTTP routes (API Gateway HTTP API on AWS, the local host's HTTP server
 * locally): checks that every declared route has a handler (at cold start), refuses bodies over
 * the declared `maxBodyBytes` with `413` before anything parses them, dispatches on the route
 * key, and renders {@link HttpProblem}s as RFC 9457 `application/problem+json`. Anything else
 * thrown is a `500` problem naming the request id (and logged with its stack).
 *
 * @example
 * ```ts
 * export const handler = httpHandler({ declaration, runtime, routes: {
 *   "GET /orders/{orderId}": async (request) => json(200, await order(request.pathParameters.orderId)),
 * }});
 * ```
 */
export function httpHandler(options: HttpHandlerOptions) {
  const { declaration, runtime } = options;
  const trigger = declaration.trigger;
  if (trigger.kind !== "http") throw new Error(`${declaration.name} is not declared on HTTP`);
  const declared = routeKeysOf(trigger);
  const handled = Object.keys(options.routes);
  const missing = declared.filter((k) => !handled.includes(k));
  const extra = handled.filter((k) => !declared.includes(k));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `${declaration.name}: routes and handlers differ (no handler: ${missing.join(", ") || "none"}; not declared: ${extra.join(", ") || "none"})`,
    );
  }
  const { logger, metrics } = runtime;

  return middy(async (event: APIGatewayProxyEventV2, context: Context): Promise<HttpResult> => {
    const instance = event.rawPath;
    metrics.addMetric("HttpRequests", MetricUnit.Count, 1);
    try {
      const raw = event.body ?? undefined;
      const bytes =
        raw === undefined
          ? 0
          : event.isBase64Encoded
            ? Buffer.byteLength(raw, "base64")
            : Buffer.byteLength(raw, "utf8");
      if (bytes > trigger.maxBodyBytes) {
        throw new HttpProblem({
          status: 413,
          kind: "payload-too-large",
          title: "Request body too large",
          detail: `the body has ${bytes} bytes; ${declaration.name} accepts at most ${trigger.maxBodyBytes}`,
          code: "PAYLOAD_TOO_LARGE",
          extensions: { sizeBytes: bytes, limitBytes: trigger.maxBodyBytes },
        });
      }
      const route = options.routes[event.routeKey];
      if (route === undefined) {
        throw new HttpProblem({
          status: 404,
          kind: "no-route",
          title: "No such route",
          detail: `${declaration.name} has no route ${event.routeKey}`,
          code: "NO_ROUTE",
        });
      }
      const body =
        raw === undefined
          ? undefined
          : event.isBase64Encoded
            ? Buffer.from(raw, "base64").toString("utf8")
            : raw;
      const query: Record<string, string> = {};
      for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) {
        if (v !== undefined) query[k] = v;
      }
      const pathParameters: Record<string, string> = {};
      for (const [k, v] of Object.entries(event.pathParameters ?? {})) {
        if (v !== undefined) pathParameters[k] = decodeURIComponent(v);
      }
      return await route(
        {
          routeKey: event.routeKey,
          path: event.rawPath,
          pathParameters,
          query,
          headers: lowerCased(event.headers),
          body,
          caller: callerOf(event),
          requestId: event.requestContext.requestId,
        },
        context,
      );
    } catch (error) {
      if (error instanceof HttpProblem) {
        if (error.init.status >= 500) {
          logger.warn("request refused", { route: event.routeKey, problem: error.message });
        }
        return problem(error.init, instance);
      }
      logger.error("request failed", { route: event.routeKey, error });
      return problem(
        {
          status: 500,
          kind: "internal",
          title: "Internal error",
          detail: `the request failed; look for request id ${event.requestContext.requestId} in the function's logs`,
          code: "INTERNAL",
        },
        instance,
      );
    }
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}
