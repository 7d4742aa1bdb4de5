import type { ResolvedTopic } from "../../events/topics.ts";

/**
 * Properties the CDK topic resource passes. CloudFormation hands every scalar of a custom
 * resource's properties over as a string, so numbers arrive as "12" and are converted here.
 */
export interface TopicResourceProperties {
  readonly topics: readonly (Omit<ResolvedTopic, "partitions" | "replicationFactor"> & {
    readonly partitions: number | string;
    readonly replicationFactor: number | string;
  })[];
  /** "true" to allow deleting topics that still hold records when the resource is deleted. */
  readonly allowDeletingTopicsWithData?: string;
}

/** The topics with their numbers as numbers, refusing anything that is not a positive integer. */
export function topicsFromProperties(properties: TopicResourceProperties): ResolvedTopic[] {
  return properties.topics.map((topic) => {
    const partitions = Number(topic.partitions);
    const replicationFactor = Number(topic.replicationFactor);
    for (const [field, value] of [
      ["partitions", partitions],
      ["replicationFactor", replicationFactor],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new Error(
          `topic ${topic.name}: ${field}: expected a positive integer, got ${JSON.stringify(topic[field])}`,
        );
      }
    }
    return { ...topic, partitions, replicationFactor };
  });
}
