import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { LocalSession } from "../host/session.ts";

/** Every item of a table whose key starts with `prefix`, by the rest of the key (strongly consistent). */
export async function scanByPrefix<T>(
  session: LocalSession,
  table: string,
  prefix: string,
): Promise<Map<string, T>> {
  const items = new Map<string, T>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await session.doc.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: "begins_with(pk, :p)",
        ExpressionAttributeValues: { ":p": prefix },
        ConsistentRead: true,
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    for (const item of page.Items ?? [])
      items.set(String(item.pk).slice(prefix.length), item.state as T);
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}
