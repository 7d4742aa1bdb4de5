import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import { readRuntimeConfig } from "../kit/env.ts";
import { createLogClient } from "../kit/log/client.ts";
import { applyTopicChanges, describeTopicChange, diffTopics } from "../kit/topics-sync.ts";
import { declaration } from "./function.ts";
import type { TopicResourceProperties } from "./properties.ts";
import { topicsFromProperties } from "./properties.ts";

const config = readRuntimeConfig(declaration);

/**
 * CloudFormation custom resource (onEvent of a CDK `Provider`): creates the catalog's topics on
 * MSK and keeps them in line (partitions up, configs), using the Kafka admin API with IAM auth.
 * Changes Kafka cannot make safely (fewer partitions, another replication factor) fail the
 * deployment with the reason. On delete, a topic that holds records is kept unless
 * `allowDeletingTopicsWithData` is "true".
 */
export const handler = async (event: CloudFormationCustomResourceEvent) => {
  const properties = event.ResourceProperties as unknown as TopicResourceProperties;
  const topics = topicsFromProperties(properties);
  const log = createLogClient({
    brokers: config.kafka?.brokers ?? [],
    auth: config.kafka?.auth ?? "iam",
    clientId: "duplex-topic-provisioner",
  });
  const admin = log.admin();
  try {
    if (event.RequestType === "Delete") {
      const kept: string[] = [];
      const deleted: string[] = [];
      const existing = new Set(await admin.listTopics());
      for (const topic of topics) {
        if (!existing.has(topic.name)) continue;
        const offsets = await admin.topicOffsets(topic.name);
        const holdsData = offsets.some((o) => BigInt(o.high) > BigInt(o.low));
        if (holdsData && properties.allowDeletingTopicsWithData !== "true") kept.push(topic.name);
        else deleted.push(topic.name);
      }
      if (deleted.length > 0) await admin.deleteTopics(deleted);
      console.log(JSON.stringify({ deleted, keptBecauseTheyHoldData: kept }));
      return { PhysicalResourceId: event.PhysicalResourceId };
    }
    const changes = await diffTopics(admin, topics);
    const unsafe = changes.filter((c) => c.kind === "unsafe");
    if (unsafe.length > 0) {
      throw new Error(
        `refusing unsafe topic changes: ${unsafe.map(describeTopicChange).join("; ")}`,
      );
    }
    const { applied } = await applyTopicChanges(admin, changes);
    console.log(JSON.stringify({ applied: applied.map(describeTopicChange) }));
    return {
      PhysicalResourceId: "duplex-topics",
      Data: { topics: topics.map((t) => t.name).join(",") },
    };
  } finally {
    await admin.close();
  }
};
