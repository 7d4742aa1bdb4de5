import { describe, it } from "vitest";
import { foldAggregate } from "../../../functions/domain/aggregates.ts";
import * as customers from "../../../functions/domain/customers.ts";
import { draft } from "../../../functions/domain/drafts.ts";
import { deciderSpec } from "./decider-spec.ts";

const spec = deciderSpec({
  stateFor: (history, command) => foldAggregate("Customer", command.data.customerId, history),
  decide: customers.decide,
});

const ada = { customerId: "c-1", name: "Ada", email: "ada@example.com" };
const register = draft("RegisterCustomerRequested", ada);

describe("customers", () => {
  it("registers a new customer", () => {
    spec
      .given([])
      .when(register, undefined)
      .then([draft("CustomerRegistered", ada)]);
  });

  it("rejects a second registration of the same id, naming it", () => {
    spec
      .given([draft("CustomerRegistered", ada)])
      .when(register, undefined)
      .then([
        draft("CustomerRegistrationRejected", {
          customerId: "c-1",
          code: "DUPLICATE_CUSTOMER",
          reason: "customer c-1 is already registered",
        }),
      ]);
  });

  it("registers an id when only another customer exists", () => {
    spec
      .given([draft("CustomerRegistered", { ...ada, customerId: "c-2" })])
      .when(register, undefined)
      .then([draft("CustomerRegistered", ada)]);
  });

  it("a rejected registration leaves the first registration in place", () => {
    spec
      .given([
        draft("CustomerRegistered", ada),
        draft("CustomerRegistrationRejected", {
          customerId: "c-1",
          code: "DUPLICATE_CUSTOMER",
          reason: "again",
        }),
      ])
      .when(register, undefined)
      .then([
        draft("CustomerRegistrationRejected", {
          customerId: "c-1",
          code: "DUPLICATE_CUSTOMER",
          reason: "customer c-1 is already registered",
        }),
      ]);
  });
});
