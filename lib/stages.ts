import { z } from "zod";
import { problemWithAzIds } from "./availability-zones.ts";

/**
 * Stage settings: everything that differs between `dev` and `prod`, read from the `stages` key of
 * the CDK context (`cdk.json`) and validated here. Both stages have the same topology (3 AZs,
 * 3 brokers, the same queues, rules, tables and functions); only sizes, retention and protection
 * differ. Nothing account-specific lives here: account and region come from the CDK CLI.
 */

/** The stages Duplex deploys. */
export type StageName = "dev" | "prod";

/** The stages known to this code; a context entry for any other name is refused. */
export const STAGE_NAMES: readonly StageName[] = ["dev", "prod"];

/** Context key holding the settings of every stage. */
export const STAGES_CONTEXT_KEY = "stages";

/** Context key selecting the stage (`cdk synth -c stage=prod`). */
export const STAGE_CONTEXT_KEY = "stage";

/** The stage used when none is given. */
export const DEFAULT_STAGE: StageName = "dev";

/** Retention values CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

const logRetentionDays = z
  .number()
  .int()
  .refine((v) => (LOG_RETENTION_DAYS as readonly number[]).includes(v), {
    message: `expected one of CloudWatch Logs' retention values (${LOG_RETENTION_DAYS.join(", ")})`,
  });

const ipv4Cidr = z.string().regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(1[6-9]|2[0-4])$/, {
  message: "expected an IPv4 CIDR block from /16 to /24, e.g. 10.42.0.0/16",
});

const roleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, {
  message: "expected an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
});

/** Settings of the VPC. */
const NetworkSettingsSchema = z
  .object({
    /** IPv4 range of the VPC. */
    cidr: ipv4Cidr,
    /**
     * Where the subnets (brokers, functions, endpoints) go: a region and three AZ **ids** in it
     * (`use1-az1`), the same physical zones in every account, none that MSK refuses
     * (`use1-az3`). `null` takes the region's first three AZ *names* (`Fn::GetAZs`), which map to
     * different zones per account and may include a zone MSK refuses: for throw-away stacks only.
     * Changing this on a deployed stage replaces the subnets and with them the MSK cluster.
     */
    zones: z
      .object({
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, {
          message: "expected a region such as us-east-1",
        }),
        azIds: z.array(z.string()).superRefine((ids, ctx) => {
          const problem = problemWithAzIds(ids);
          if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
        }),
      })
      .strict()
      .nullable(),
    /** Interface endpoints the functions need (gateway endpoints for DynamoDB and S3 are always added). */
    interfaceEndpoints: z
      .array(z.enum(["sqs", "events", "sts", "lambda", "kafka", "xray"]))
      .refine((v) => new Set(v).size === v.length, { message: "lists an endpoint twice" }),
    flowLogRetentionDays: logRetentionDays,
  })
  .strict();

/** Settings of the MSK cluster. */
const EventLogSettingsSchema = z
  .object({
    /** MSK Kafka version string, e.g. `3.8.x`. */
    kafkaVersion: z.string().regex(/^\d+\.\d+\.(\d+|x)(\.kraft)?$/, {
      message: "expected an MSK Kafka version such as 3.8.x or 3.7.x.kraft",
    }),
    /** Standard broker instance type. */
    brokerInstanceType: z.string().regex(/^kafka\.(t3|m5|m7g)\.[a-z0-9]+$/, {
      message: "expected a standard MSK broker type such as kafka.t3.small or kafka.m7g.large",
    }),
    /** Brokers in each of the three AZs (3 brokers in total with 1). */
    brokersPerAz: z.number().int().min(1).max(10),
    /** EBS volume per broker at creation (storage auto-scaling grows it, never shrinks it). */
    volumeSizeGiB: z.number().int().min(1).max(16_384),
    /**
     * Broker storage auto-scaling (Application Auto Scaling, scale-out only): MSK adds the larger
     * of 10 GiB or 10 % when the fullest broker's disk reaches the target, at most every 6 hours.
     */
    storageAutoScaling: z
      .object({
        /** Upper bound per broker (MSK allows up to 16 TiB). */
        maxVolumeSizeGiB: z.number().int().min(1).max(16_384),
        /** Disk use that triggers a step (MSK accepts 10-80 %, recommends 50-60 %). */
        targetUtilizationPercent: z.number().int().min(10).max(80),
      })
      .strict(),
    enhancedMonitoring: z.enum([
      "DEFAULT",
      "PER_BROKER",
      "PER_TOPIC_PER_BROKER",
      "PER_TOPIC_PER_PARTITION",
    ]),
    brokerLogRetentionDays: logRetentionDays,
  })
  .strict()
  .refine((v) => v.storageAutoScaling.maxVolumeSizeGiB >= v.volumeSizeGiB, {
    message: "storageAutoScaling.maxVolumeSizeGiB must be at least volumeSizeGiB",
    path: ["storageAutoScaling", "maxVolumeSizeGiB"],
  });

/** Settings of the EventBridge fast lane. */
const FastLaneSettingsSchema = z
  .object({
    /** Archive retention; 0 keeps events forever. */
    archiveRetentionDays: z.number().int().min(0).max(3653),
    /** Retention of the command queues (SQS allows 1 minute to 14 days). */
    queueRetentionDays: z.number().int().min(1).max(14),
    /** Retention of every dead-letter queue. */
    deadLetterRetentionDays: z.number().int().min(1).max(14),
    /** Rule target retries before an event goes to the target's DLQ (EventBridge allows 0-185). */
    targetRetryAttempts: z.number().int().min(0).max(185),
    /** Rule target maximum event age (EventBridge allows 60 s to 24 h). */
    targetMaxEventAgeSeconds: z.number().int().min(60).max(86_400),
    /** Roles outside this stack allowed to put events on the bus (e.g. an API's role). */
    additionalProducerRoleArns: z.array(roleArn),
  })
  .strict();

/** Settings shared by every function. */
const FunctionSettingsSchema = z
  .object({
    logLevel: z.enum(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]),
    logRetentionDays: logRetentionDays,
    /** X-Ray active tracing. */
    tracing: z.boolean(),
    /**
     * Provisioned pollers of each MSK event source mapping (they share one poller group); the
     * maximum is capped per mapping at its topic's partitions.
     */
    minimumPollers: z.number().int().min(1).max(200),
    maximumPollers: z.number().int().min(1).max(2000),
    /**
     * Reserve each function's declared concurrency (false only for an account whose Lambda
     * concurrency quota cannot hold their sum plus the 100 AWS keeps unreserved).
     */
    reserveConcurrency: z.boolean(),
  })
  .strict()
  .refine((v) => v.minimumPollers <= v.maximumPollers, {
    message: "minimumPollers must not exceed maximumPollers",
    path: ["minimumPollers"],
  });

/** Settings of the DynamoDB tables and KMS keys. */
const DataSettingsSchema = z
  .object({
    /**
     * What happens to the system of record when the stack is deleted or a change would replace
     * it: the tables, the keys and the MSK cluster with the network it lives in (`retain` keeps
     * them: DeletionPolicy and UpdateReplacePolicy Retain).
     */
    removalPolicy: z.enum(["retain", "destroy"]),
    deletionProtection: z.boolean(),
  })
  .strict();

/** Alarm thresholds. */
const ObservabilitySettingsSchema = z
  .object({
    /** Records a consumer group may lag behind before the lag alarm fires. */
    offsetLagThreshold: z.number().int().min(1),
    /** Minutes the lag must stay above the threshold. */
    lagEvaluationMinutes: z.number().int().min(1).max(1440),
    /** Function errors in 5 minutes that raise the errors alarm. */
    errorThreshold: z.number().int().min(1),
    /** Function throttles in 5 minutes that raise the throttles alarm. */
    throttleThreshold: z.number().int().min(1),
    /** Minutes without a poll (no `PolledEventCount`) before a log mapping counts as not consuming. */
    notConsumingMinutes: z.number().int().min(1).max(1440),
    /** Percentage of a broker's data disk in use that raises the disk alarm. */
    brokerDiskUsedPercent: z.number().int().min(1).max(99),
  })
  .strict();

/** Game days on AWS: Fault Injection Service experiment templates (and what they need). */
const GameDaySettingsSchema = z
  .object({
    /**
     * Create the FIS experiment templates, the FIS Lambda extension on the fast-lane handlers and
     * its configuration bucket. The extension polls that bucket from every handler environment, so
     * it is opt-in per stage.
     */
    enabled: z.boolean(),
    /** Share of invocations a Lambda fault hits while an experiment runs. */
    invocationPercentage: z.number().int().min(1).max(100),
    /** Delay the latency experiment adds before each hit invocation, milliseconds. */
    addedLatencyMs: z.number().int().min(1).max(900_000),
    /** How long a Lambda fault lasts, minutes. */
    durationMinutes: z.number().int().min(1).max(720),
  })
  .strict();

/** Settings of the HTTP API (command and query API). */
const HttpApiSettingsSchema = z
  .object({
    /** `iam` (SigV4-signed requests, the default) or `jwt` (the authorizer below). */
    auth: z.enum(["iam", "jwt"]),
    /** The JWT authorizer's issuer and audiences; required with `auth: "jwt"`. */
    jwt: z
      .object({
        issuer: z.string().url({ message: "expected the issuer URL (https://...)" }),
        audience: z.array(z.string().min(1)).min(1),
      })
      .strict()
      .nullable(),
    /** Steady-state requests per second of the stage. */
    throttlingRateLimit: z.number().positive().max(10_000),
    /** Burst of the stage's token bucket. */
    throttlingBurstLimit: z.number().int().min(1).max(5_000),
    accessLogRetentionDays: logRetentionDays,
    /** 5xx answers in 5 minutes that raise the 5xx alarm. */
    serverErrorThreshold: z.number().int().min(1),
    /** p99 latency (ms, over 5 minutes) that raises the latency alarm. */
    latencyP99Ms: z.number().int().min(10).max(30_000),
    /** Percent of requests answered 4xx (over 5 minutes) that raises the 4xx-rate alarm. */
    clientErrorRatePercent: z.number().min(1).max(100),
  })
  .strict()
  .refine((v) => v.auth !== "jwt" || v.jwt !== null, {
    message: 'auth "jwt" needs jwt: { issuer, audience }',
    path: ["jwt"],
  });

const StageSettingsSchema = z
  .object({
    network: NetworkSettingsSchema,
    eventLog: EventLogSettingsSchema,
    fastLane: FastLaneSettingsSchema,
    functions: FunctionSettingsSchema,
    data: DataSettingsSchema,
    observability: ObservabilitySettingsSchema,
    httpApi: HttpApiSettingsSchema,
    gameDays: GameDaySettingsSchema,
  })
  .strict();

/** The validated settings of one stage. */
export type StageSettings = z.infer<typeof StageSettingsSchema>;
export type NetworkSettings = StageSettings["network"];
export type EventLogSettings = StageSettings["eventLog"];
export type FastLaneSettings = StageSettings["fastLane"];
export type FunctionSettings = StageSettings["functions"];
export type DataSettings = StageSettings["data"];
export type ObservabilitySettings = StageSettings["observability"];
export type HttpApiSettings = StageSettings["httpApi"];
export type GameDaySettings = StageSettings["gameDays"];

/** A stage setting that is missing or wrong; names the stage and the field. */
export class StageConfigError extends Error {
  readonly stage: string;
  readonly field: string;
  constructor(stage: string, field: string, detail: string) {
    super(`stage '${stage}': ${field}: ${detail}`);
    this.name = "StageConfigError";
    this.stage = stage;
    this.field = field;
  }
}

/** Reads something from the CDK context, as `Node.tryGetContext` does. */
export interface ContextReader {
  tryGetContext(key: string): unknown;
}

/**
 * The stage selected with `-c stage=…` (default `dev`).
 *
 * @example
 * ```ts
 * const stage = selectedStage(app.node); // "prod" with `cdk synth -c stage=prod`
 * ```
 */
export function selectedStage(context: ContextReader): StageName {
  const raw = context.tryGetContext(STAGE_CONTEXT_KEY);
  if (raw === undefined || raw === null || raw === "") return DEFAULT_STAGE;
  if (typeof raw !== "string" || !(STAGE_NAMES as readonly string[]).includes(raw)) {
    throw new StageConfigError(
      String(raw),
      STAGE_CONTEXT_KEY,
      `unknown stage; expected one of ${STAGE_NAMES.join(", ")}`,
    );
  }
  return raw as StageName;
}

/**
 * Validates the settings of one stage; the first bad setting fails naming the stage and field.
 *
 * @example
 * ```ts
 * parseStageSettings("prod", { ...settings, eventLog: { ...settings.eventLog, volumeSizeGiB: 0 } });
 * // StageConfigError: stage 'prod': eventLog.volumeSizeGiB: Too small: expected number to be >=1
 * ```
 */
export function parseStageSettings(stage: string, raw: unknown): StageSettings {
  const parsed = StageSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join(".") ?? "";
    const keys = issue?.code === "unrecognized_keys" ? ` (${issue.keys.join(", ")})` : "";
    throw new StageConfigError(
      stage,
      path || "(settings)",
      `${issue?.message ?? "invalid"}${keys}`,
    );
  }
  return parsed.data;
}

/**
 * The validated settings of a stage, from the `stages` context key.
 *
 * @example
 * ```ts
 * const settings = loadStageSettings(app.node, "dev");
 * settings.eventLog.brokerInstanceType; // "kafka.t3.small"
 * ```
 */
export function loadStageSettings(context: ContextReader, stage: StageName): StageSettings {
  const all = context.tryGetContext(STAGES_CONTEXT_KEY);
  if (typeof all !== "object" || all === null || Array.isArray(all)) {
    throw new StageConfigError(
      stage,
      STAGES_CONTEXT_KEY,
      `missing: cdk.json must define context.${STAGES_CONTEXT_KEY}.${stage}`,
    );
  }
  const raw = (all as Record<string, unknown>)[stage];
  if (raw === undefined) {
    throw new StageConfigError(
      stage,
      `${STAGES_CONTEXT_KEY}.${stage}`,
      `missing: cdk.json defines ${Object.keys(all).join(", ") || "no stage"}`,
    );
  }
  return parseStageSettings(stage, raw);
}
