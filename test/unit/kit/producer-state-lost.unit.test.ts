import { MultipleErrors, NetworkError, ProtocolError } from "@platformatic/kafka";
import { describe, expect, it } from "vitest";
import { producerStateLost } from "../../../functions/kit/log/platformatic.ts";

describe("producerStateLost", () => {
  it("given the broker refused the producer's sequence, inside the client's aggregate error, then the producer is lost", () => {
    const refused = new MultipleErrors("Producing failed", [
      new ProtocolError("OUT_OF_ORDER_SEQUENCE_NUMBER"),
    ]);
    expect(producerStateLost(refused)).toBe(true);
    expect(producerStateLost(new ProtocolError("UNKNOWN_PRODUCER_ID"))).toBe(true);
  });

  it("given an outage or a leader move, then the producer is kept", () => {
    expect(producerStateLost(new ProtocolError("NOT_ENOUGH_REPLICAS"))).toBe(false);
    expect(producerStateLost(new ProtocolError("NOT_LEADER_OR_FOLLOWER"))).toBe(false);
    expect(producerStateLost(new NetworkError("Connection refused"))).toBe(false);
    expect(producerStateLost("not an error")).toBe(false);
  });
});
