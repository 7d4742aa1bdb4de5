/**
 * Which AWS emulator the integration tests run against, asked of the endpoint itself (so a
 * LocalStack in Docker counts as LocalStack too), and the documented reasons a test skips on one.
 * A test that cannot run on an emulator says so in its name, with the reason and the row of
 * docs/local-parity.md that explains it: no silent skips.
 *
 * @example
 * const replay = unlessLocalStack(LOCALSTACK.replay);
 * it.skipIf(replay.skip)(`replays the archive${replay.note}`, async () => { ... });
 */
import { identifyEmulator, localEndpoints } from "../../localstack/stack/index.ts";

const found = await identifyEmulator(localEndpoints().awsEndpoint);

/** `moto`, `localstack`, or `unknown` for an endpoint that is neither. */
export const emulator = found.emulator;

/** e.g. `moto 5.2.5` or `LocalStack 4.14.0`: for test names. */
export const emulatorLabel =
  emulator === "localstack"
    ? `LocalStack ${found.version ?? "?"}`
    : emulator === "moto"
      ? "moto 5.2.5"
      : "an unknown emulator";

export const onMoto = emulator === "moto";
export const onLocalStack = emulator === "localstack";

/** Why a test cannot run on LocalStack 4.14.0; each names its row in docs/local-parity.md. */
export const LOCALSTACK = {
  replay:
    "LocalStack 4.14.0's StartReplay fails with HTTP 500 once the archive holds an event " +
    "(docs/local-parity.md, EventBridge: 'Replay time window')",
  missingBus:
    "LocalStack 4.14.0 answers PutEvents to a bus that does not exist with success and drops " +
    "the events, as AWS is reported to (docs/local-parity.md, EventBridge: 'PutEvents to a bus " +
    "that does not exist')",
} as const;

/**
 * Whether a test skips here, and the note its name then carries (`[skipped on LocalStack: …]`),
 * so the reason shows in every report that lists skipped tests.
 */
export function unlessLocalStack(reason: string): { skip: boolean; note: string } {
  return { skip: onLocalStack, note: onLocalStack ? ` [skipped on LocalStack: ${reason}]` : "" };
}
