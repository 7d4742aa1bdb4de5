import { RemovalPolicy } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { Key } from "aws-cdk-lib/aws-kms";
import { describe, expect, it } from "vitest";
import type { TableName } from "../../functions/kit/declarations.ts";
import { functionDeclarations } from "../../functions/registry.ts";
import { DuplexTables, TABLE_DESIGNS } from "../../lib/data.ts";
import { resourcesOfType, synthStage, type TemplateJson, testStack } from "./support.ts";

type TableJson = {
  KeySchema: { AttributeName: string; KeyType: string }[];
  AttributeDefinitions: { AttributeName: string; AttributeType: string }[];
  GlobalSecondaryIndexes?: {
    IndexName: string;
    KeySchema: { AttributeName: string; KeyType: string }[];
    Projection: { ProjectionType: string };
  }[];
  TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
  PointInTimeRecoverySpecification?: { PointInTimeRecoveryEnabled: boolean };
  SSESpecification?: { SSEEnabled: boolean; SSEType: string; KMSMasterKeyId: unknown };
  BillingMode?: string;
  DeletionProtectionEnabled?: boolean;
};

function tablesTemplate(): { tables: DuplexTables; json: TemplateJson; template: Template } {
  const stack = testStack();
  const tables = new DuplexTables(stack, "Tables", {
    encryptionKey: new Key(stack, "Data", { enableKeyRotation: true }),
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const template = Template.fromStack(stack);
  return { tables, json: template.toJSON() as TemplateJson, template };
}

function keysOf(schema: { AttributeName: string; KeyType: string }[]): string[] {
  return schema.map((k) => `${k.KeyType}:${k.AttributeName}`);
}

describe("DuplexTables", () => {
  const { tables, json, template } = tablesTemplate();
  const byName = new Map<TableName, TableJson>();
  for (const [name, table] of tables.all()) {
    const id = table.node.defaultChild?.node.path.split("/").slice(-2, -1)[0];
    const entry = Object.entries(resourcesOfType(json, "AWS::DynamoDB::Table")).find(
      ([logicalId]) => logicalId.startsWith(`Tables${id}`),
    );
    byName.set(name, entry?.[1].Properties as TableJson);
  }

  it("creates every table the declarations use, and no other", () => {
    const used = new Set(
      functionDeclarations.flatMap((d) =>
        d.resources.flatMap((n) => (n.kind === "table" ? [n.table] : [])),
      ),
    );
    expect([...byName.keys()].sort()).toEqual([...used].sort());
    template.resourceCountIs("AWS::DynamoDB::Table", used.size);
  });

  it("uses the key schemas and sparse indexes of the design", () => {
    expect(keysOf(byName.get("aggregates")?.KeySchema ?? [])).toEqual(["HASH:pk"]);
    expect(keysOf(byName.get("sagas")?.KeySchema ?? [])).toEqual(["HASH:pk"]);
    expect(keysOf(byName.get("idempotency")?.KeySchema ?? [])).toEqual(["HASH:id"]);
    expect(keysOf(byName.get("read-models")?.KeySchema ?? [])).toEqual(["HASH:pk", "RANGE:sk"]);
    expect(keysOf(byName.get("command-ledger")?.KeySchema ?? [])).toEqual(["HASH:pk"]);
    const indexes = (name: TableName) =>
      (byName.get(name)?.GlobalSecondaryIndexes ?? []).map(
        (i) => `${i.IndexName}(${keysOf(i.KeySchema).join(",")})`,
      );
    expect(indexes("aggregates")).toEqual([
      "outbox-pending(HASH:outboxShard,RANGE:outboxPendingSince)",
    ]);
    expect(indexes("sagas").sort()).toEqual([
      "by-deadline(HASH:deadlineShard,RANGE:deadlineAt)",
      "outbox-pending(HASH:outboxShard,RANGE:outboxPendingSince)",
    ]);
    expect(indexes("command-ledger")).toEqual(["pending-by-due(HASH:dueShard,RANGE:dueAt)"]);
    expect(indexes("idempotency")).toEqual([]);
    expect(indexes("read-models")).toEqual([]);
    for (const table of byName.values()) {
      expect(table.AttributeDefinitions.every((a) => a.AttributeType === "S")).toBe(true);
    }
  });

  it("expires idempotency records and command-ledger entries with TTL, nothing else", () => {
    expect(byName.get("idempotency")?.TimeToLiveSpecification).toEqual({
      AttributeName: "expiration",
      Enabled: true,
    });
    expect(byName.get("command-ledger")?.TimeToLiveSpecification).toEqual({
      AttributeName: "expiresAt",
      Enabled: true,
    });
    for (const name of ["aggregates", "sagas", "read-models"] as const) {
      expect(byName.get(name)?.TimeToLiveSpecification).toBeUndefined();
    }
  });

  it("enables point-in-time recovery, KMS encryption with the customer key, on-demand capacity", () => {
    for (const table of byName.values()) {
      expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.SSESpecification).toMatchObject({ SSEEnabled: true, SSEType: "KMS" });
      expect(JSON.stringify(table.SSESpecification?.KMSMasterKeyId)).toContain("Data");
      expect(table.BillingMode).toBe("PAY_PER_REQUEST");
    }
  });

  it("names exact index ARNs for IAM", () => {
    expect(tables.indexArns("sagas")).toHaveLength(2);
    expect(tables.indexArns("sagas").join()).not.toContain("*");
    expect(Object.keys(TABLE_DESIGNS).sort()).toEqual([...byName.keys()].sort());
  });

  it("retains prod's tables and keys with deletion protection; dev's go with the stack", () => {
    const prod = synthStage("prod", { nag: false }).json;
    for (const table of Object.values(resourcesOfType(prod, "AWS::DynamoDB::Table"))) {
      expect(table.DeletionPolicy).toBe("Retain");
      expect(table.Properties?.DeletionProtectionEnabled).toBe(true);
    }
    for (const key of Object.values(resourcesOfType(prod, "AWS::KMS::Key"))) {
      expect(key.DeletionPolicy).toBe("Retain");
      expect(key.Properties?.EnableKeyRotation).toBe(true);
    }
    const dev = synthStage("dev", { nag: false }).json;
    for (const table of Object.values(resourcesOfType(dev, "AWS::DynamoDB::Table"))) {
      expect(table.DeletionPolicy).toBe("Delete");
      expect(table.Properties?.DeletionProtectionEnabled).toBe(false);
    }
  });
});
