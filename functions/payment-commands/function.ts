import { defineCommandFunction } from "../kit/declarations.ts";

export const declaration = defineCommandFunction({
  name: "payment-commands",
  description: "Captures and refunds payments (fast lane).",
  commands: ["ProcessPaymentRequested", "RefundPaymentRequested"],
});
