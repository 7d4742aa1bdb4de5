import { defineCommandFunction } from "../kit/declarations.ts";

export const declaration = defineCommandFunction({
  name: "customer-commands",
  description: "Registers customers (fast lane).",
  commands: ["RegisterCustomerRequested"],
});
