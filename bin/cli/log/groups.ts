import { type DeclaredGroup, declaredGroups } from "../../../functions/kit/log-query/groups.ts";
import { NotFoundError, UsageError } from "../errors.ts";

/**
 * The group an operator means: its name (`duplex-order-saga.order-events`, with or without the
 * session's prefix), or `FUNCTION` with `--topic` when the function reads several topics.
 *
 * @example
 * ```ts
 * resolveGroup("order-summary-projector", "order-events", "demo.");
 * // { groupId: "duplex-order-summary-projector.order-events", functionName: ..., topic: ... }
 * ```
 */
export function resolveGroup(
  name: string,
  topic: string | undefined,
  prefix: string,
): DeclaredGroup {
  const groups = declaredGroups();
  const bare = prefix !== "" && name.startsWith(prefix) ? name.slice(prefix.length) : name;
  const byGroup = groups.find((g) => g.groupId === bare);
  if (byGroup !== undefined) return byGroup;
  const ofFunction = groups.filter((g) => g.functionName === bare);
  if (ofFunction.length === 0) {
    throw new NotFoundError(`no consumer group or log-triggered function named '${name}'`, {
      hint: `run 'duplex lag' to see them, e.g. --group ${groups[0]?.groupId ?? "?"}`,
    });
  }
  if (topic === undefined) {
    if (ofFunction.length === 1 && ofFunction[0] !== undefined) return ofFunction[0];
    throw new UsageError(`${bare} reads ${ofFunction.length} topics: say which`, {
      hint: ofFunction.map((g) => `--group ${g.groupId}`).join(" | "),
    });
  }
  const match = ofFunction.find((g) => g.topic === topic);
  if (match === undefined) {
    throw new NotFoundError(`${bare} does not read topic '${topic}'`, {
      hint: `it reads: ${ofFunction.map((g) => g.topic).join(", ")}`,
    });
  }
  return match;
}

/** The group reading `topic` for `functionName`, by its physical id. */
export function groupByPhysicalId(groupId: string, prefix: string): DeclaredGroup | undefined {
  const bare = prefix !== "" && groupId.startsWith(prefix) ? groupId.slice(prefix.length) : groupId;
  return declaredGroups().find((g) => g.groupId === bare);
}
