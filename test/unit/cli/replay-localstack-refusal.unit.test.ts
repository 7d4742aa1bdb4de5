import {
  EventBridgeServiceException,
  ResourceAlreadyExistsException,
} from "@aws-sdk/client-eventbridge";
import { describe, expect, it } from "vitest";
import { localStackReplayFailed } from "../../../bin/cli/commands/replay.ts";

const alreadyExists = (attempts: number) =>
  new ResourceAlreadyExistsException({
    message: "Replay duplex-t1 already exists.",
    $metadata: { httpStatusCode: 400, attempts },
  });

describe("LocalStack's StartReplay failure, as the CLI recognises it", () => {
  it("is an HTTP 500", () => {
    const internal = new EventBridgeServiceException({
      name: "InternalError",
      $fault: "server",
      $metadata: { httpStatusCode: 500, attempts: 3 },
    });
    expect(localStackReplayFailed(internal)).toBe(true);
  });

  it("is the name taken on the SDK's retry of that 500 (LocalStack recorded the replay first)", () => {
    expect(localStackReplayFailed(alreadyExists(2))).toBe(true);
  });

  it("is not a name the operator really chose twice (first attempt)", () => {
    expect(localStackReplayFailed(alreadyExists(1))).toBe(false);
  });
});
