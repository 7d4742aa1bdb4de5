import { RemovalPolicy } from "aws-cdk-lib";
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  Table,
  TableEncryption,
} from "aws-cdk-lib/aws-dynamodb";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";
import type { TableName } from "../functions/kit/declarations.ts";
import { pascalCase } from "./output-keys.ts";

/** A string key attribute. */
interface KeyAttribute {
  readonly name: string;
}

/** A global secondary index (projection ALL). */
export interface IndexDesign {
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
}

/** The key schema, indexes and TTL of one table. */
export interface TableDesign {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly indexes: readonly IndexDesign[];
  readonly timeToLiveAttribute?: string;
}

/** Pending outbox items, by shard and age (sparse: only items with unpublished events). */
const outboxPending: IndexDesign = {
  name: "outbox-pending",
  partitionKey: { name: "outboxShard" },
  sortKey: { name: "outboxPendingSince" },
};

/**
 * Every table of Duplex, keyed by the `TableName` the function declarations use. All keys are
 * strings; every index is sparse (an item appears only while it carries the index's attributes).
 */
export const TABLE_DESIGNS: Readonly<Record<TableName, TableDesign>> = {
  aggregates: { partitionKey: { name: "pk" }, indexes: [outboxPending] },
  sagas: {
    partitionKey: { name: "pk" },
    indexes: [
      outboxPending,
      {
        name: "by-deadline",
        partitionKey: { name: "deadlineShard" },
        sortKey: { name: "deadlineAt" },
      },
    ],
  },
  idempotency: { partitionKey: { name: "id" }, indexes: [], timeToLiveAttribute: "expiration" },
  "read-models": { partitionKey: { name: "pk" }, sortKey: { name: "sk" }, indexes: [] },
  "command-ledger": {
    partitionKey: { name: "pk" },
    indexes: [
      { name: "pending-by-due", partitionKey: { name: "dueShard" }, sortKey: { name: "dueAt" } },
    ],
    timeToLiveAttribute: "expiresAt",
  },
};

/** Properties of {@link DuplexTables}. */
export interface DuplexTablesProps {
  /** Customer-managed key of every table. */
  readonly encryptionKey: IKey;
  /**
   * What happens to the tables when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Refuse `DeleteTable` until the protection is turned off.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * The designs to create.
   *
   * @default TABLE_DESIGNS
   */
  readonly designs?: Readonly<Record<TableName, TableDesign>>;
}

/**
 * The DynamoDB tables: on-demand capacity, point-in-time recovery, encryption with a
 * customer-managed key, TTL where items expire (idempotency records, command-ledger entries).
 *
 * @example
 * ```ts
 * const tables = new DuplexTables(this, "Tables", { encryptionKey: keys.data });
 * tables.table("aggregates").tableName;
 * ```
 */
export class DuplexTables extends Construct {
  private readonly tables = new Map<TableName, Table>();
  private readonly designs: Readonly<Record<TableName, TableDesign>>;

  constructor(scope: Construct, id: string, props: DuplexTablesProps) {
    super(scope, id);
    this.designs = props.designs ?? TABLE_DESIGNS;
    for (const [name, design] of Object.entries(this.designs) as [TableName, TableDesign][]) {
      const table = new Table(this, pascalCase(name), {
        partitionKey: { name: design.partitionKey.name, type: AttributeType.STRING },
        sortKey: design.sortKey && { name: design.sortKey.name, type: AttributeType.STRING },
        billingMode: BillingMode.PAY_PER_REQUEST,
        encryption: TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: props.encryptionKey,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        timeToLiveAttribute: design.timeToLiveAttribute,
        deletionProtection: props.deletionProtection ?? true,
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      });
      for (const index of design.indexes) {
        table.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: { name: index.partitionKey.name, type: AttributeType.STRING },
          sortKey: { name: index.sortKey.name, type: AttributeType.STRING },
          projectionType: ProjectionType.ALL,
        });
      }
      this.tables.set(name, table);
    }
  }

  /** The table of a name the declarations use. */
  table(name: TableName): Table {
    const table = this.tables.get(name);
    if (table === undefined) throw new Error(`no table '${name}' in this stack`);
    return table;
  }

  /** Exact ARNs of a table's indexes (for IAM: no `index/*` wildcard). */
  indexArns(name: TableName): string[] {
    const table = this.table(name);
    return this.designs[name].indexes.map((index) => `${table.tableArn}/index/${index.name}`);
  }

  /** Every table, by name. */
  all(): ReadonlyMap<TableName, Table> {
    return this.tables;
  }
}
