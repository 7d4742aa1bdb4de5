/**
 * Errors of the HTTP adapter. An {@link HttpProblem} is an answer, not a failure: the adapter
 * renders it as `application/problem+json` (RFC 9457) with its status.
 */

/** A field the problem is about, named as the catalog names it (`data.items[0].quantity`). */
export interface ProblemField {
  readonly field: string;
  readonly message: string;
}

export interface ProblemInit {
  readonly status: number;
  /** Short kebab-case kind; the problem `type` is `urn:duplex:problem:<kind>`. */
  readonly kind: string;
  readonly title: string;
  readonly detail: string;
  /** The catalog's or the kit's error code (`SCHEMA_VIOLATION`, `PAYLOAD_TOO_LARGE`, ...). */
  readonly code?: string;
  readonly errors?: readonly ProblemField[];
  readonly headers?: Readonly<Record<string, string>>;
  /** More members of the problem object. */
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/** A request that gets a problem answer (4xx/5xx) instead of its normal one. */
export class HttpProblem extends Error {
  readonly init: ProblemInit;
  constructor(init: ProblemInit) {
    super(`${init.status} ${init.title}: ${init.detail}`, { cause: init.cause });
    this.name = "HttpProblem";
    this.init = init;
  }
}

/** A request parameter (path, query or header) that is missing or malformed. */
export function badParameter(name: string, expected: string, got?: string): HttpProblem {
  return new HttpProblem({
    status: 400,
    kind: "bad-parameter",
    title: "Bad request parameter",
    detail: `${name}: expected ${expected}${got === undefined ? "" : `, got '${got.slice(0, 100)}'`}`,
    code: "BAD_PARAMETER",
    errors: [{ field: name, message: `expected ${expected}` }],
  });
}

/** Something that does not exist (an order, a command type, a flow). */
export function notFound(detail: string, extensions?: Record<string, unknown>): HttpProblem {
  return new HttpProblem({
    status: 404,
    kind: "not-found",
    title: "Not found",
    detail,
    code: "NOT_FOUND",
    ...(extensions === undefined ? {} : { extensions }),
  });
}
