import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  type MetricAlarm,
} from "@aws-sdk/client-cloudwatch";
import { type LambdaClient, ListEventSourceMappingsCommand } from "@aws-sdk/client-lambda";
import type { ControlEndpoint } from "../../../localstack/host/control.ts";
import { CONTROL_TOKEN_HEADER } from "../../../localstack/host/control.ts";
import type { LocalMapping } from "../../../localstack/host/host.ts";
import { UnavailableError } from "../errors.ts";

/**
 * What a target runs besides its data: the event source mappings (or, locally, the functions
 * host's pollers) and the alarms. `duplex doctor` reads it; each target answers in the same terms.
 */
export interface PlatformInspector {
  /** Every mapping the platform has for the given functions (declared names). */
  mappings(functionNames: readonly string[]): Promise<MappingState[]>;
  /** The stage's alarms, or `undefined` where there are none (the local stack). */
  alarms(): Promise<AlarmsState | undefined>;
}

/** One event source mapping (or local poller set) as the platform reports it. */
export interface MappingState {
  readonly functionName: string;
  readonly kind: "log" | "fast-lane";
  /** A topic name, or a queue name. */
  readonly source: string;
  /** `Enabled`, `Disabled`, `Creating`…; locally `running` or `stopped`. */
  readonly state: string;
  readonly enabled: boolean;
  /** `OK`, `No records processed`, `PROBLEM: …`. */
  readonly lastProcessingResult: string;
  readonly stateTransitionReason?: string;
}

export interface AlarmsState {
  /** How many alarms the stack declares (stack output `AlarmCount`). */
  readonly expected: number | undefined;
  readonly prefix: string;
  readonly alarms: readonly {
    readonly name: string;
    readonly state: string;
    readonly reason: string;
  }[];
}

/** The mappings and alarms of a deployed stack. */
export function awsPlatform(options: {
  lambda: LambdaClient;
  cloudWatch: CloudWatchClient;
  physicalName: (declared: string) => string | undefined;
  alarmPrefix: string;
  alarmCount: number | undefined;
}): PlatformInspector {
  return {
    async mappings(functionNames) {
      const found: MappingState[] = [];
      for (const declared of functionNames) {
        const functionName = options.physicalName(declared) ?? declared;
        let marker: string | undefined;
        do {
          const page = await options.lambda.send(
            new ListEventSourceMappingsCommand({ FunctionName: functionName, Marker: marker }),
          );
          for (const m of page.EventSourceMappings ?? []) {
            const kafka = m.Topics !== undefined && m.Topics.length > 0;
            found.push({
              functionName: declared,
              kind: kafka ? "log" : "fast-lane",
              source: kafka ? (m.Topics?.[0] ?? "") : (m.EventSourceArn?.split(":").pop() ?? ""),
              state: m.State ?? "unknown",
              enabled: m.State === "Enabled",
              lastProcessingResult: m.LastProcessingResult ?? "No records processed",
              ...(m.StateTransitionReason === undefined
                ? {}
                : { stateTransitionReason: m.StateTransitionReason }),
            });
          }
          marker = page.NextMarker;
        } while (marker !== undefined);
      }
      return found;
    },
    async alarms() {
      const alarms: MetricAlarm[] = [];
      let token: string | undefined;
      do {
        const page = await options.cloudWatch.send(
          new DescribeAlarmsCommand({
            AlarmNamePrefix: options.alarmPrefix,
            AlarmTypes: ["MetricAlarm"],
            NextToken: token,
          }),
        );
        alarms.push(...(page.MetricAlarms ?? []));
        token = page.NextToken;
      } while (token !== undefined);
      return {
        expected: options.alarmCount,
        prefix: options.alarmPrefix,
        alarms: alarms.map((a) => ({
          name: a.AlarmName ?? "",
          state: a.StateValue ?? "INSUFFICIENT_DATA",
          reason: a.StateReason ?? "",
        })),
      };
    },
  };
}

/** The pollers of a local session's functions host, through its control endpoint. */
export function localPlatform(
  sessionName: string,
  endpoint: ControlEndpoint | undefined,
): PlatformInspector {
  return {
    async mappings() {
      if (endpoint === undefined) {
        throw new UnavailableError(
          `session ${sessionName} runs no functions host: no pollers to inspect`,
          { hint: "start it with its host (npm start -- --serve), or target AWS with --stage" },
        );
      }
      let response: Response;
      try {
        response = await fetch(`${endpoint.url}/mappings`, {
          headers: { [CONTROL_TOKEN_HEADER]: endpoint.token },
          signal: AbortSignal.timeout(30_000),
        });
      } catch (cause) {
        throw new UnavailableError(
          `session ${sessionName}'s control endpoint ${endpoint.url} does not answer`,
          { hint: "is the process running the session still alive? (npm run stack:status)", cause },
        );
      }
      const { mappings } = (await response.json()) as { mappings: LocalMapping[] };
      return mappings.map((m) => ({
        functionName: m.functionName,
        kind: m.kind,
        source: m.source,
        state: m.running ? "running" : "stopped",
        enabled: m.running,
        lastProcessingResult: m.lastProcessingResult,
      }));
    },
    alarms: async () => undefined,
  };
}
