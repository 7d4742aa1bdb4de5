import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from "@aws-sdk/client-lambda";
import type {
  LogOperation,
  LogOperationResponse,
} from "../../../functions/log-operations/protocol.ts";
import type { ControlEndpoint } from "../../../localstack/host/control.ts";
import { CONTROL_TOKEN_HEADER } from "../../../localstack/host/control.ts";
import { CredentialsError, UnavailableError } from "../errors.ts";

/**
 * Calls the `log-operations` function: on AWS with Lambda's Invoke API (synchronous, signed with
 * the operator's credentials: `lambda:InvokeFunction` on that one function is all it takes), and
 * locally through the session's control endpoint, which runs the same handler in the functions
 * host.
 */
export interface LogOperationsInvoker {
  /** For people: `function duplex-prod-log-operations` or `session demo's log-operations`. */
  readonly label: string;
  invoke(operation: LogOperation): Promise<LogOperationResponse>;
}

/** The function on AWS, by its physical name (the stack output `FunctionLogOperationsName`). */
export function lambdaInvoker(lambda: LambdaClient, functionName: string): LogOperationsInvoker {
  const label = `function ${functionName}`;
  return {
    label,
    async invoke(operation) {
      let out: InvokeCommandOutput;
      try {
        out = await lambda.send(
          new InvokeCommand({
            FunctionName: functionName,
            InvocationType: "RequestResponse",
            Payload: new TextEncoder().encode(JSON.stringify(operation)),
          }),
        );
      } catch (error) {
        const name = (error as { name?: string }).name ?? "";
        if (name === "AccessDeniedException" || name === "AccessDenied") {
          throw new CredentialsError(`not allowed to invoke ${functionName}`, {
            hint: `operators need lambda:InvokeFunction on ${functionName} (docs/runbook.md, "Reaching the log on AWS")`,
            cause: error,
          });
        }
        throw new UnavailableError(
          `Lambda did not run ${functionName}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      const text = new TextDecoder().decode(out.Payload ?? new Uint8Array());
      if (out.FunctionError !== undefined) {
        throw new UnavailableError(
          `${label} failed (${out.FunctionError}): ${errorMessageOf(text)}`,
          {
            hint: `its logs: /aws/lambda/${functionName}`,
          },
        );
      }
      return JSON.parse(text) as LogOperationResponse;
    },
  };
}

/** The function in a local session's functions host, through the session's control endpoint. */
export function controlEndpointInvoker(
  sessionName: string,
  endpoint: ControlEndpoint,
  functionName = "log-operations",
): LogOperationsInvoker {
  const label = `session ${sessionName}'s ${functionName}`;
  return {
    label,
    async invoke(operation) {
      let response: Response;
      try {
        response = await fetch(`${endpoint.url}/functions/${functionName}/invoke`, {
          method: "POST",
          headers: { "content-type": "application/json", [CONTROL_TOKEN_HEADER]: endpoint.token },
          body: JSON.stringify(operation),
          signal: AbortSignal.timeout(120_000),
        });
      } catch (cause) {
        throw new UnavailableError(`${label} does not answer at ${endpoint.url}`, {
          hint: "is the process running the session still alive? (npm run stack:status)",
          cause,
        });
      }
      const text = await response.text();
      if (!response.ok) {
        throw new UnavailableError(`${label} failed (${response.status}): ${errorMessageOf(text)}`);
      }
      return (JSON.parse(text) as { result: LogOperationResponse }).result;
    },
  };
}

function errorMessageOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { errorMessage?: string; error?: string };
    return parsed.errorMessage ?? parsed.error ?? text;
  } catch {
    return text;
  }
}
