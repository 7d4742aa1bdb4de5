import { asArray, type CfnResourceJson, referencedId, type TemplateJson } from "./support.ts";

/** Reading IAM out of a synthesized template, for the infrastructure tests. */

export interface StatementJson {
  readonly Effect: "Allow" | "Deny";
  readonly Action?: string | string[];
  readonly Resource?: unknown;
  readonly Condition?: unknown;
}

/** A resource value rendered as text, with `{}` where a token (Ref, GetAtt, Select…) stands. */
export function renderArn(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value !== "object" || value === null) return String(value);
  const join = (value as Record<string, unknown>)["Fn::Join"];
  if (Array.isArray(join)) {
    const [separator, parts] = join as [string, unknown[]];
    return parts.map(renderArn).join(separator);
  }
  const id = referencedId(value);
  return id ? `{${id}}` : "{}";
}

/** Every identity-policy statement in the template, with the role it is attached to. */
export function identityStatements(
  json: TemplateJson,
): { roleId: string | undefined; policyId: string; statement: StatementJson }[] {
  const out: { roleId: string | undefined; policyId: string; statement: StatementJson }[] = [];
  for (const [id, resource] of Object.entries(json.Resources)) {
    if (resource.Type === "AWS::IAM::Policy" || resource.Type === "AWS::IAM::ManagedPolicy") {
      const roles = asArray(resource.Properties?.Roles as unknown[]).map(referencedId);
      const doc = resource.Properties?.PolicyDocument as { Statement: StatementJson[] };
      for (const statement of asArray(doc.Statement)) {
        for (const roleId of roles.length ? roles : [undefined])
          out.push({ roleId, policyId: id, statement });
      }
    }
    if (resource.Type === "AWS::IAM::Role") {
      for (const policy of asArray(
        resource.Properties?.Policies as { PolicyDocument: { Statement: StatementJson[] } }[],
      )) {
        for (const statement of asArray(policy.PolicyDocument.Statement))
          out.push({ roleId: id, policyId: id, statement });
      }
    }
  }
  return out;
}

/** The role of each function, by function logical id. */
export function functionRoles(json: TemplateJson): Map<string, string> {
  const roles = new Map<string, string>();
  for (const [id, resource] of Object.entries(json.Resources)) {
    if (resource.Type === "AWS::Lambda::Function") {
      const role = referencedId(resource.Properties?.Role);
      if (role) roles.set(id, role);
    }
  }
  return roles;
}

/** Allow statements attached to one role. */
export function allowStatementsOf(json: TemplateJson, roleId: string): StatementJson[] {
  return identityStatements(json)
    .filter((s) => s.roleId === roleId && s.statement.Effect === "Allow")
    .map((s) => s.statement);
}

/** Resources (rendered) of the statements granting an action. */
export function resourcesFor(statements: StatementJson[], action: string): string[] {
  return statements
    .filter((s) => asArray(s.Action).includes(action))
    .flatMap((s) => asArray(s.Resource).map(renderArn));
}

/** The last path segment of rendered topic or group ARNs (`…:topic/<cluster>/{}/<name>`). */
export function kafkaNames(arns: string[], kind: "topic" | "group"): string[] {
  return arns
    .map((arn) => new RegExp(`:${kind}/[^/]+/[^/]+/(.+)$`).exec(arn)?.[1])
    .filter((name): name is string => name !== undefined)
    .sort();
}

/** The function resource of a declaration name. */
export function functionNamed(json: TemplateJson, name: string): [string, CfnResourceJson] {
  const found = Object.entries(json.Resources).find(
    ([, r]) => r.Type === "AWS::Lambda::Function" && r.Properties?.FunctionName === name,
  );
  if (!found) throw new Error(`no function named ${name}`);
  return found;
}
