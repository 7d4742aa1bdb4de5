import { z } from "zod";
import { defineEvent } from "../define.ts";
import { Id, Reason } from "./shared.ts";

const customers = {
  domain: "customers",
  aggregateType: "Customer",
  aggregateIdField: "customerId",
} as const;

export const RegisterCustomerRequested = defineEvent(
  "RegisterCustomerRequested",
  { ...customers, topic: "customer-commands", description: "Register a new customer." },
  z.object({ customerId: Id, name: z.string().min(1).max(256), email: z.email() }),
).build();

export const CustomerRegistered = defineEvent(
  "CustomerRegistered",
  { ...customers, topic: "customer-events", description: "A customer can now place orders." },
  z.object({ customerId: Id, name: z.string().min(1).max(256), email: z.email() }),
).build();

export const CustomerRegistrationRejected = defineEvent(
  "CustomerRegistrationRejected",
  { ...customers, topic: "customer-events", description: "A registration was refused." },
  z.object({ customerId: Id, code: z.enum(["DUPLICATE_CUSTOMER"]), reason: Reason }),
).build();
