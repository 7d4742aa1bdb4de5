import {
  GetEventSourceMappingCommand,
  type LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from "@aws-sdk/client-lambda";
import { NotFoundError, TimeoutError } from "../errors.ts";
import { groupByPhysicalId } from "../log/groups.ts";
import type { ConsumerControl } from "./consumers.ts";

const WAIT_MS = 10 * 60_000;

/**
 * Consumer control on AWS: a group is read by one MSK event source mapping (function × topic).
 * Stopping disables the mapping and waits for Lambda to report it `Disabled`; starting enables it
 * again. (Lambda then leaves the consumer group; callers wait for the group to empty.)
 */
export function lambdaConsumerControl(
  lambda: LambdaClient,
  functionNameOf: (declared: string) => string | undefined,
): ConsumerControl {
  const mappingOf = async (groupId: string): Promise<string> => {
    const group = groupByPhysicalId(groupId, "");
    if (group === undefined) throw new NotFoundError(`no declared consumer group ${groupId}`);
    const functionName = functionNameOf(group.functionName) ?? group.functionName;
    let marker: string | undefined;
    do {
      const page = await lambda.send(
        new ListEventSourceMappingsCommand({ FunctionName: functionName, Marker: marker }),
      );
      for (const mapping of page.EventSourceMappings ?? []) {
        if (mapping.Topics?.includes(group.topic) && mapping.UUID !== undefined)
          return mapping.UUID;
      }
      marker = page.NextMarker;
    } while (marker !== undefined);
    throw new NotFoundError(
      `function ${functionName} has no event source mapping on topic ${group.topic}`,
    );
  };
  const setEnabled = async (groupId: string, enabled: boolean) => {
    const uuid = await mappingOf(groupId);
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: enabled }));
    const wanted = enabled ? "Enabled" : "Disabled";
    const deadline = Date.now() + WAIT_MS;
    while (Date.now() < deadline) {
      const { State } = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
      if (State === wanted) return;
      await new Promise((r) => setTimeout(r, 5_000));
    }
    throw new TimeoutError(`event source mapping ${uuid} is not ${wanted} after 10 minutes`, {
      hint: `check it: aws lambda get-event-source-mapping --uuid ${uuid}`,
    });
  };
  return {
    stop: (groupId) => setEnabled(groupId, false),
    start: (groupId) => setEnabled(groupId, true),
    unavailableReason: () => undefined,
  };
}
