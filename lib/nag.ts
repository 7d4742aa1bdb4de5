import { type Stage, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";

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
