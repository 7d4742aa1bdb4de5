import { type TopicName, topicSpecs } from "../../events/topics.ts";
import { defineFunction } from "../kit/declarations.ts";

export const declaration = defineFunction({
  name: "log-operations",
  description:
    "Operators' access to the log from outside the VPC: topic and group administration, reading records by position a page at a time, appending records (replays, redrives). Invoked by the duplex CLI through Lambda's Invoke API (IAM).",
  trigger: { kind: "operator" },
  // A page of the log within Lambda's 6 MB response; the CLI sends many small requests.
  timeoutSeconds: 60,
  memoryMb: 1024,
  resources: [
    {
      kind: "log",
      access: "operate",
      topics: Object.keys(topicSpecs) as TopicName[],
    },
  ],
});
