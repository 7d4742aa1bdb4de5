import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { ProblemInit } from "./errors.ts";

/** The answer of an HTTP function (API Gateway payload format 2.0). */
export type HttpResult = APIGatewayProxyStructuredResultV2;

/**
 * A JSON answer.
 *
 * @example
 * ```ts
 * return json(202, { commandId }, { location: `/commands/${commandId}` });
 * ```
 */
export function json(
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): HttpResult {
  return {
    statusCode: status,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * An RFC 9457 problem answer (`application/problem+json`): `type`, `title`, `status`, `detail`,
 * `instance`, plus `code` and `errors` (each field the catalog named).
 *
 * @example
 * ```ts
 * problem({ status: 409, kind: "idempotency-key-reused", title: "…", detail: "…" }, "/commands/X");
 * ```
 */
export function problem(init: ProblemInit, instance: string): HttpResult {
  return {
    statusCode: init.status,
    headers: { "content-type": "application/problem+json", ...(init.headers ?? {}) },
    body: JSON.stringify({
      type: `urn:duplex:problem:${init.kind}`,
      title: init.title,
      status: init.status,
      detail: init.detail,
      instance,
      ...(init.code === undefined ? {} : { code: init.code }),
      ...(init.errors === undefined ? {} : { errors: init.errors }),
      ...(init.extensions ?? {}),
    }),
  };
}
