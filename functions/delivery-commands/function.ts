import { defineCommandFunction } from "../kit/declarations.ts";

export const declaration = defineCommandFunction({
  name: "delivery-commands",
  description: "Schedules deliveries (fast lane).",
  commands: ["ScheduleDeliveryRequested"],
});
