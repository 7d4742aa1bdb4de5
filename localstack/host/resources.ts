import type { CriticalCommandName } from "../../events/types.ts";
import type { TableName } from "../../functions/kit/declarations.ts";

/**
 * The names of everything the local stack provisions for Duplex, derived from one prefix, so a
 * test can run against its own isolated set (`duplex-t1a2b-...`) next to the demo's
 * (`duplex-local-...`). Topics are the catalog's own names (handlers publish to them directly).
 */
export interface LocalResources {
  readonly prefix: string;
  readonly region: string;
  readonly accountId: string;
  readonly eventBusName: string;
  readonly archiveName: string;
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
  readonly dlq: QueueNames;
}

const TABLES: readonly TableName[] = [
  "aggregates",
  "sagas",
  "idempotency",
  "read-models",
  "command-ledger",
];

function queue(prefix: string, suffix: string, endpoint: string, region: string, account: string) {
  const name = `${prefix}-${suffix}`;
  return {
    name,
    url: `${endpoint}/${account}/${name}`,
    arn: `arn:aws:sqs:${region}:${account}:${name}`,
  };
}

function kebab(type: string): string {
  return type.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

/**
 * Names for a prefix. Queue URLs follow moto's and LocalStack's `<endpoint>/<account>/<name>`
 * form; provisioning replaces them with what CreateQueue returns.
 */
export function localResourceNames(options: {
  prefix: string;
  commands: readonly CriticalCommandName[];
  endpoint: string;
  region: string;
  accountId: string;
}): LocalResources {
  const { prefix, endpoint, region, accountId } = options;
  return {
    prefix,
    region,
    accountId,
    eventBusName: `${prefix}-fast-lane`,
    archiveName: `${prefix}-fast-lane-archive`,
    tables: Object.fromEntries(TABLES.map((t) => [t, `${prefix}-${t}`])) as Record<
      TableName,
      string
    >,
    commandQueues: Object.fromEntries(
      options.commands.map((command) => [
        command,
        {
          command,
          ruleName: `${prefix}-${kebab(command)}`,
          ...queue(prefix, kebab(command), endpoint, region, accountId),
          dlq: queue(prefix, `${kebab(command)}-dlq`, endpoint, region, accountId),
        },
      ]),
    ),
    ruleTargetDlq: queue(prefix, "rule-target-dlq", endpoint, region, accountId),
  };
}
