import type { EventRef } from "../errors.ts";
import { MalformedEventError } from "../errors.ts";

/** Parses JSON text, turning a syntax error into a {@link MalformedEventError}. */
export function parseJson(text: string, what: string, ref: EventRef = {}): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const preview = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    throw new MalformedEventError(
      ref,
      `${what} is not valid JSON (${(error as Error).message}); starts with ${JSON.stringify(preview)}`,
      { cause: error },
    );
  }
}

/** UTF-8 byte length of a string. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}
