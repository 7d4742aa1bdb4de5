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
      topics: [
        "order-events",
        "inventory-events",
        "customer-events",
        "payment-events",
        "delivery-events",
        "order-commands",
        "inventory-commands",
        "payment-commands",
        "delivery-commands",
        "customer-commands",
        "dead-letters",
      ],
    },
  ],
});
