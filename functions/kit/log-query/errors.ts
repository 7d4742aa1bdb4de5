/** Errors of reading the log as an operator (trace, state at a time, lag). */

/** Reading ranges of the log took longer than allowed; names what was left. */
export class LogReadTimeoutError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LogReadTimeoutError";
  }
}

/** An aggregate type the domain does not know. */
export class UnknownAggregateTypeError extends Error {
  readonly aggregateType: string;
  readonly known: readonly string[];
  constructor(aggregateType: string, known: readonly string[]) {
    super(`unknown aggregate type '${aggregateType}' (one of: ${known.join(", ")})`);
    this.name = "UnknownAggregateTypeError";
    this.aggregateType = aggregateType;
    this.known = known;
  }
}
