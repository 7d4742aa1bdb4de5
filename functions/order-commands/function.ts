import { defineCommandFunction } from "../kit/declarations.ts";

export const declaration = defineCommandFunction({
  name: "order-commands",
  description: "Places, cancels and completes orders (fast lane).",
  commands: ["PlaceOrderRequested", "CancelOrderRequested", "CompleteOrderRequested"],
});
