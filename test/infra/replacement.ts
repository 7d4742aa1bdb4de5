import { cfnResourceSchema } from "./cfn-lint.ts";
import { referencedIds, type TemplateJson } from "./support.ts";

/**
 * What a resource's replacement depends on: its create-only properties (a change of any of them
 * makes CloudFormation replace the resource, per the resource type's registry schema), and, through
 * every `Ref`/`Fn::GetAtt` in them, the create-only properties of the resources they point to (a
 * subnet whose zone changes is replaced, gets a new id, and the cluster that names it follows).
 * Logical ids are part of it: renaming a construct replaces its resource too.
 */
export type ReplacementFingerprint = Record<string, Record<string, unknown>>;

function valueAt(properties: Record<string, unknown> | undefined, path: string): unknown {
  let value: unknown = properties;
  for (const key of path.replace(/^\/properties\//, "").split("/")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * The replacement fingerprint of one resource of a template.
 *
 * @example
 * ```ts
 * replacementFingerprint(json, "EventLogCluster1234");
 * // { EventLogCluster1234: { Type: "AWS::MSK::Cluster", "/properties/ClientSubnets": [...] }, ... }
 * ```
 */
export function replacementFingerprint(json: TemplateJson, root: string): ReplacementFingerprint {
  const fingerprint: ReplacementFingerprint = {};
  const queue = [root];
  while (queue.length > 0) {
    const id = queue.shift() as string;
    if (fingerprint[id] !== undefined) continue;
    const resource = json.Resources[id];
    if (resource === undefined) throw new Error(`no resource ${id} in the template`);
    const entry: Record<string, unknown> = { Type: resource.Type };
    for (const path of cfnResourceSchema(resource.Type).createOnlyProperties ?? []) {
      const value = valueAt(resource.Properties, path);
      if (value === undefined) continue;
      entry[path] = value;
      for (const next of referencedIds(value)) if (json.Resources[next]) queue.push(next);
    }
    fingerprint[id] = entry;
  }
  return Object.fromEntries(Object.entries(fingerprint).sort(([a], [b]) => a.localeCompare(b)));
}

/** Paths (`Id /properties/...`) whose values differ between two fingerprints. */
export function fingerprintDifferences(
  pinned: ReplacementFingerprint,
  current: ReplacementFingerprint,
): string[] {
  const differences: string[] = [];
  for (const id of new Set([...Object.keys(pinned), ...Object.keys(current)])) {
    const a = pinned[id];
    const b = current[id];
    if (a === undefined || b === undefined) {
      differences.push(
        `${id}: ${a === undefined ? "new in the chain" : "gone (renamed or removed)"}`,
      );
      continue;
    }
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) {
        differences.push(`${id} ${key}: ${JSON.stringify(a[key])} → ${JSON.stringify(b[key])}`);
      }
    }
  }
  return differences;
}
