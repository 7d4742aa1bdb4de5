import type { CriticalCommandName } from "../../events/types.ts";
import type { TableName } from "../../functions/kit/declarations.ts";
import { InvalidArnError, ResourceNameError } from "./errors.ts";

/**
 * Everything the local stack provisioned for Duplex, named from one prefix, so a test can run
 * against its own isolated set (`duplex-t1a2b-...`) next to the demo's (`duplex-local-...`).
 * Topics are the catalog's own names (handlers publish to them directly). Every URL, ARN and the
 * account are the ones the emulator returned (moto's account is 123456789012, LocalStack's
 * 000000000000): nothing here assumes an account.
 */
export interface LocalResources {
  readonly prefix: string;
  readonly region: string;
  /** The emulator's account, read from the event bus's ARN. */
  readonly accountId: string;
  readonly eventBusName: string;
  readonly eventBusArn: string;
  readonly archiveName: string;
  readonly archiveArn: string;
  readonly tables: Readonly<Record<TableName, string>>;
  /** One queue (with its DLQ) per critical command, as on AWS. */
  readonly commandQueues: Readonly<Record<string, CommandQueue>>;
  /** Dead-letter queue of the rule targets (EventBridge could not deliver to the queue). */
  readonly ruleTargetDlq: QueueNames;
}

export interface QueueNames {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
}

export interface CommandQueue extends QueueNames {
  readonly command: CriticalCommandName;
  readonly ruleName: string;
  readonly ruleArn: string;
  readonly dlq: QueueNames;
}

/** The names of what {@link LocalResources} describes, before anything exists. */
export interface LocalResourceNames {
  readonly prefix: string;
  readonly eventBusName: string;
  readonly archiveName: string;
  readonly tables: Readonly<Record<TableName, string>>;
  readonly commandQueues: Readonly<
    Record<
      string,
      {
        readonly command: CriticalCommandName;
        readonly name: string;
        readonly ruleName: string;
        readonly dlqName: string;
      }
    >
  >;
  readonly ruleTargetDlqName: string;
}

const TABLES: readonly TableName[] = [
  "aggregates",
  "sagas",
  "idempotency",
  "read-models",
  "command-ledger",
];

function kebab(type: string): string {
  return type.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

/**
 * Names for a prefix; provisioning creates them and records the URLs and ARNs the emulator
 * returns.
 *
 * @example
 * localResourceNames({ prefix: "duplex-demo", commands: ["PlaceOrderRequested"] }).eventBusName;
 * // "duplex-demo-fast-lane"
 */
export function localResourceNames(options: {
  prefix: string;
  commands: readonly CriticalCommandName[];
}): LocalResourceNames {
  const { prefix } = options;
  // EventBridge archive names are at most 48 characters: `-fast-lane-archive` made the drill
  // `handler-fail-every-nth` (prefix `duplex-drill-handler-fail-every-nth`) fail to provision.
  const archiveName = `${prefix}-archive`;
  if (archiveName.length > 48) {
    throw new ResourceNameError(
      `the local resource prefix '${prefix}' is too long: its archive name '${archiveName}' has ${archiveName.length} characters, EventBridge allows 48`,
      archiveName,
      "use a shorter session name",
    );
  }
  return {
    prefix,
    eventBusName: `${prefix}-fast-lane`,
    archiveName,
    tables: Object.fromEntries(TABLES.map((t) => [t, `${prefix}-${t}`])) as Record<
      TableName,
      string
    >,
    commandQueues: Object.fromEntries(
      options.commands.map((command) => [
        command,
        {
          command,
          name: `${prefix}-${kebab(command)}`,
          ruleName: `${prefix}-${kebab(command)}`,
          dlqName: `${prefix}-${kebab(command)}-dlq`,
        },
      ]),
    ),
    ruleTargetDlqName: `${prefix}-rule-target-dlq`,
  };
}

/**
 * The account and region of an ARN (`arn:aws:events:us-east-1:000000000000:event-bus/x`).
 *
 * @throws {InvalidArnError} naming the ARN when it has no account or region.
 */
export function arnAccountAndRegion(arn: string): { accountId: string; region: string } {
  const [prefix, partition, , region, accountId] = arn.split(":");
  if (prefix !== "arn" || !partition || !region || !accountId || !/^\d{12}$/.test(accountId)) {
    throw new InvalidArnError(arn);
  }
  return { accountId, region };
}
