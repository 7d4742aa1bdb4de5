import { type TopicName, topicSpecs } from "../../events/topics.ts";
import { defineFunction } from "../kit/declarations.ts";

export const declaration = defineFunction({
  name: "topic-provisioner",
  description:
    "CloudFormation custom resource: creates and updates the catalog's topics on MSK with the Kafka admin API (IAM auth). Never deletes a topic that holds data unless told to.",
  trigger: { kind: "custom-resource" },
  timeoutSeconds: 300,
  memoryMb: 512,
  resources: [
    {
      kind: "log",
      access: "admin",
      // Every catalog topic: a topic added to the catalog is one this function may create.
      topics: Object.keys(topicSpecs) as TopicName[],
    },
  ],
});
