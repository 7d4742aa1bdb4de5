import { Stack, type Stage, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import type { IConstruct } from "constructs";

/**
 * Registers the cdk-nag packs Duplex is held to (AWS Solutions and Serverless) as synthesis
 * validations: any unacknowledged finding fails `cdk synth`. Acknowledgements live next to the
 * construct they concern, each with its reason.
 *
 * @example
 * ```ts
 * const app = new App();
 * new DuplexStack(app, "Duplex-dev", { ... });
 * applyNagPacks(app);
 * ```
 */
export function applyNagPacks(scope: Stage): void {
  Validations.of(scope).addPlugins(
    new AwsSolutionsChecks(scope, { verbose: true }),
    new ServerlessChecks(scope, { verbose: true }),
  );
}

/**
 * How cdk-nag names a resource in a finding (`Resource::<…>`): the resolved value with `Fn::Join`
 * flattened, `Ref`s as `<Name>`, `Fn::GetAtt`s as `<Id.Attr>` and any other intrinsic as JSON.
 *
 * @example
 * ```ts
 * Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${nagResourceName(role, arn)}]`, reason });
 * ```
 */
export function nagResourceName(scope: IConstruct, value: string): string {
  const render = (v: unknown): string => {
    if (typeof v === "string") return v;
    if (typeof v === "object" && v !== null) {
      const o = v as Record<string, unknown>;
      if (Array.isArray(o["Fn::Join"])) {
        const [separator, parts] = o["Fn::Join"] as [string, unknown[]];
        return parts.map(render).join(separator);
      }
      if (typeof o.Ref === "string") return `<${o.Ref}>`;
      if (Array.isArray(o["Fn::GetAtt"])) return `<${(o["Fn::GetAtt"] as string[]).join(".")}>`;
    }
    return JSON.stringify(v);
  };
  return render(Stack.of(scope).resolve(value));
}
