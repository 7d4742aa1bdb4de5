/**
 * The event catalog: the single source of truth for event types, their schemas and versions,
 * topics, lanes and wire formats. Imports nothing of the rest of the project.
 */
export * from "./catalog/index.ts";
export * from "./codecs/eventbridge.ts";
export * from "./codecs/kafka.ts";
export * from "./codecs/lambda.ts";
export * from "./create.ts";
export * from "./define.ts";
export * from "./envelope.ts";
export * from "./errors.ts";
export * from "./event-id.ts";
export * from "./limits.ts";
export * from "./registry.ts";
export * from "./topics.ts";
export type * from "./types.ts";
export * from "./validated.ts";
