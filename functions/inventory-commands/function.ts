import { defineCommandFunction } from "../kit/declarations.ts";

export const declaration = defineCommandFunction({
  name: "inventory-commands",
  description: "Restocks products, reserves, releases and commits stock (fast lane).",
  commands: [
    "RestockProductRequested",
    "ReserveInventoryRequested",
    "ReleaseInventoryRequested",
    "CommitInventoryRequested",
  ],
});
