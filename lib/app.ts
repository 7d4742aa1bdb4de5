import { type App, Tags } from "aws-cdk-lib";
import { DuplexStack, type DuplexStackProps } from "./duplex-stack.ts";
import { applyNagPacks } from "./nag.ts";
import {
  loadStageSettings,
  parseStageSettings,
  type StageSettings,
  selectedStage,
} from "./stages.ts";

/**
 * Context key adding producer roles outside the stack to the bus policy at deploy time, so no
 * account id needs committing: `cdk deploy -c stage=prod -c producerRoleArns=arn:aws:iam::…:role/api`
 * (comma-separated).
 */
export const PRODUCERS_CONTEXT_KEY = "producerRoleArns";

function withExtraProducers(stage: string, settings: StageSettings, raw: unknown): StageSettings {
  if (raw === undefined || raw === null || raw === "") return settings;
  const extra = (Array.isArray(raw) ? raw.map(String) : String(raw).split(","))
    .map((arn) => arn.trim())
    .filter((arn) => arn !== "");
  return parseStageSettings(stage, {
    ...settings,
    fastLane: {
      ...settings.fastLane,
      additionalProducerRoleArns: [...settings.fastLane.additionalProducerRoleArns, ...extra],
    },
  });
}

/** Options of {@link buildDuplexApp}. */
export interface BuildDuplexAppOptions {
  /**
   * Register the cdk-nag packs as validations.
   *
   * @default true
   */
  readonly nag?: boolean;
  /**
   * Overrides of the stack's properties (tests pass their own catalog or declarations).
   *
   * @default - none
   */
  readonly stackProps?: Partial<Omit<DuplexStackProps, "stage" | "settings">>;
}

/**
 * Adds the stack of the stage selected with `-c stage=dev|prod` (default `dev`) to an app, with
 * its validated settings from the `stages` context, and the cdk-nag packs.
 *
 * @example
 * ```ts
 * const app = new App({ context: { stage: "prod" } });
 * const stack = buildDuplexApp(app); // stack.stackName === "Duplex-prod"
 * ```
 */
export function buildDuplexApp(app: App, options: BuildDuplexAppOptions = {}): DuplexStack {
  const stage = selectedStage(app.node);
  const settings = withExtraProducers(
    stage,
    loadStageSettings(app.node, stage),
    app.node.tryGetContext(PRODUCERS_CONTEXT_KEY),
  );
  const stack = new DuplexStack(app, `Duplex-${stage}`, {
    ...options.stackProps,
    stage,
    settings,
    description: `Duplex ${stage}: MSK log, EventBridge fast lane, Lambda functions, DynamoDB tables`,
  });
  Tags.of(stack).add("project", "duplex");
  Tags.of(stack).add("stage", stage);
  if (options.nag ?? true) applyNagPacks(app);
  return stack;
}
