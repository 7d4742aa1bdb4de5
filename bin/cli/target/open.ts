import { UsageError } from "../errors.ts";
import { openAwsTarget } from "./aws.ts";
import { openLocalTarget } from "./local.ts";
import type { LogVia, Target } from "./target.ts";

/** The global options that choose a target. */
export interface TargetOptions {
  readonly session?: string | undefined;
  readonly stack?: string | undefined;
  readonly stage?: string | undefined;
  readonly region?: string | undefined;
  readonly profile?: string | undefined;
  /**
   * How to reach Kafka: `direct` (the brokers: locally, or on AWS through a tunnel) or
   * `function` (the log-operations function). Default: `direct` locally; on AWS `function`, or
   * `direct` when `DUPLEX_KAFKA_BROKERS` names the brokers. Also `DUPLEX_LOG_VIA`.
   */
  readonly logVia?: string | undefined;
}

/** The `--log-via` choice (or `DUPLEX_LOG_VIA`), checked; undefined means the target's default. */
export function logViaOf(options: TargetOptions): LogVia | undefined {
  const raw = options.logVia ?? process.env.DUPLEX_LOG_VIA;
  if (raw === undefined || raw === "") return undefined;
  if (raw !== "direct" && raw !== "function") {
    throw new UsageError(`--log-via '${raw}' is not a way to the log`, {
      hint: "--log-via direct (the brokers) or --log-via function (the log-operations function)",
    });
  }
  return raw;
}

/** The default local session (the one `npm start` runs). */
export const DEFAULT_SESSION = "demo";

/**
 * Local unless `--stack` or `--stage` is given: `--session NAME` (default `demo`) reads
 * `.duplex/sessions/NAME.json`; `--stage dev` means the stack `Duplex-dev`.
 */
export function describeTargetChoice(options: TargetOptions): {
  kind: "local" | "aws";
  name: string;
} {
  const aws = options.stack !== undefined || options.stage !== undefined;
  if (aws && options.session !== undefined) {
    throw new UsageError("--session (local) and --stack/--stage (AWS) exclude each other", {
      hint: "pass --session NAME for the local stack, or --stage STAGE / --stack NAME for AWS",
    });
  }
  if (options.stage !== undefined && !/^[a-z][a-z0-9-]{0,30}$/.test(options.stage)) {
    throw new UsageError(`--stage '${options.stage}' is not a stage name`, {
      hint: "e.g. --stage dev or --stage prod",
    });
  }
  if (aws) return { kind: "aws", name: options.stack ?? `Duplex-${options.stage}` };
  return { kind: "local", name: options.session ?? DEFAULT_SESSION };
}

export async function openTarget(options: TargetOptions): Promise<Target> {
  const choice = describeTargetChoice(options);
  const logVia = logViaOf(options);
  return choice.kind === "aws"
    ? openAwsTarget({
        stack: choice.name,
        region: options.region,
        profile: options.profile,
        logVia,
      })
    : openLocalTarget(choice.name, { logVia });
}
