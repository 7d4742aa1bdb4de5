import type { ControlEndpoint } from "../../../localstack/host/control.ts";
import { CONTROL_TOKEN_HEADER } from "../../../localstack/host/control.ts";
import { NotFoundError, UnavailableError } from "../errors.ts";
import type { ConsumerControl } from "./consumers.ts";

/** Consumer control of a local session, through its control endpoint. */
export function localConsumerControl(
  sessionName: string,
  endpoint: ControlEndpoint | undefined,
): ConsumerControl {
  const call = async (path: string, groupId: string) => {
    if (endpoint === undefined) throw new UnavailableError(unavailable(sessionName));
    let response: Response;
    try {
      response = await fetch(`${endpoint.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", [CONTROL_TOKEN_HEADER]: endpoint.token },
        body: JSON.stringify({ groupId }),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (cause) {
      throw new UnavailableError(
        `session ${sessionName}'s control endpoint ${endpoint.url} does not answer`,
        { hint: "is the process running the session still alive? (npm run stack:status)", cause },
      );
    }
    if (response.status === 404) {
      throw new NotFoundError(`session ${sessionName} runs no consumer in group ${groupId}`);
    }
    if (!response.ok) {
      throw new UnavailableError(
        `session ${sessionName}'s control endpoint answered ${response.status}: ${await response.text()}`,
      );
    }
  };
  return {
    stop: (groupId) => call("/consumers/stop", groupId),
    start: (groupId) => call("/consumers/start", groupId),
    unavailableReason: () => (endpoint === undefined ? unavailable(sessionName) : undefined),
  };
}

function unavailable(sessionName: string): string {
  return `session ${sessionName} has no control endpoint (started without a functions host, or by an older host)`;
}
