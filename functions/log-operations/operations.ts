import type { PartitionReader } from "../kit/log/partition-reader.ts";
import type { LogAdmin, LogProducer } from "../kit/log/port.ts";
import {
  incomingToWire,
  type LogOperation,
  MAX_PAGE_BYTES,
  MAX_PAGE_RECORDS,
  MAX_PRODUCE_BYTES,
  outgoingFromWire,
  type WirePartitionPage,
} from "./protocol.ts";

/** What the operations run against: the log's admin API, a producer and a partition reader. */
export interface LogOperationTargets {
  readonly admin: LogAdmin;
  readonly producer: LogProducer;
  readonly reader: PartitionReader;
}

/** A produce request larger than one invocation may carry. */
export class ProduceTooLargeError extends Error {
  constructor(bytes: number) {
    super(
      `the records carry ${bytes} bytes; one request takes at most ${MAX_PRODUCE_BYTES}: send them in several`,
    );
    this.name = "ProduceTooLargeError";
  }
}

/**
 * Runs one operation. Admin operations map one to one onto the log port; `produce` appends
 * (acks=all, idempotent) and `read` returns one page per position, within the size limits.
 *
 * @example
 * ```ts
 * await runLogOperation({ op: "groupOffsets", groupId: "g", topics: ["order-events"] }, targets);
 * ```
 */
export async function runLogOperation(
  operation: LogOperation,
  { admin, producer, reader }: LogOperationTargets,
): Promise<unknown> {
  switch (operation.op) {
    case "listTopics":
      return admin.listTopics();
    case "describeTopics":
      return admin.describeTopics(operation.names);
    case "createTopics":
      return admin.createTopics(operation.topics).then(() => null);
    case "createPartitions":
      return admin.createPartitions(operation.topic, operation.totalPartitions).then(() => null);
    case "alterTopicConfigs":
      return admin.alterTopicConfigs(operation.topic, operation.configs).then(() => null);
    case "deleteTopics":
      return admin.deleteTopics(operation.names).then(() => null);
    case "topicOffsets":
      return admin.topicOffsets(operation.topic);
    case "offsetsAtTime":
      return admin.offsetsAtTime(operation.topic, operation.timestampMs);
    case "groupOffsets":
      return admin.groupOffsets(operation.groupId, operation.topics);
    case "setGroupOffsets":
      return admin
        .setGroupOffsets(operation.groupId, operation.topic, operation.offsets)
        .then(() => null);
    case "describeGroup":
      return admin.describeGroup(operation.groupId);
    case "listGroups":
      return admin.listGroups();
    case "deleteGroups":
      return admin.deleteGroups(operation.groupIds).then(() => null);
    case "produce": {
      const records = operation.records.map(outgoingFromWire);
      const bytes = records.reduce((n, r) => n + r.key.length + r.value.length, 0);
      if (bytes > MAX_PRODUCE_BYTES) throw new ProduceTooLargeError(bytes);
      // Each record's place in the log, so a remote producer acknowledges like a local one.
      const positions = await producer.send(records);
      return { appended: records.length, positions };
    }
    case "read": {
      const pages = await reader.read(operation.positions, {
        maxBytes: operation.maxBytes ?? MAX_PAGE_BYTES,
        maxRecords: Math.min(
          operation.maxRecords ?? MAX_PAGE_RECORDS,
          Math.floor(MAX_PAGE_RECORDS / operation.positions.length) || 1,
        ),
        maxWaitMs: operation.maxWaitMs ?? 500,
      });
      return pages.map(
        (page): WirePartitionPage => ({ ...page, records: page.records.map(incomingToWire) }),
      );
    }
    default: {
      const unreachable: never = operation;
      throw new Error(`unknown operation ${JSON.stringify(unreachable)}`);
    }
  }
}
