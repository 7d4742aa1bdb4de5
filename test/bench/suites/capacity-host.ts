/**
 * The capacity bench's functions host, in a process of its own so that its CPU and memory are the
 * host's alone (the driver — order placer and monitor — runs in the bench process). It starts a
 * local session with the demo's settings, reports the session's description, answers `stats`
 * and, on `stop`, stops the host and removes everything the session provisioned.
 */
import { demoSessionOptions } from "../../../localstack/demo/drive.ts";
import type { HostStats } from "../../../localstack/host/host.ts";
import { LocalSession, type SessionDescription } from "../../../localstack/host/session.ts";

export interface CapacityHostInput {
  readonly name: string;
  /** Endpoints to use instead of the stack's (the request counter's proxies). */
  readonly env: Readonly<Record<string, string>>;
  readonly logDir: string;
}

export type CapacityHostMessage =
  | { kind: "ready"; description: SessionDescription }
  | { kind: "stats"; stats: HostStats }
  | { kind: "stopped" }
  | { kind: "failed"; error: string };

type Request = { kind: "stats" } | { kind: "stop" };

const send = (message: CapacityHostMessage) => process.send?.(message);

process.once("message", async (input: CapacityHostInput) => {
  Object.assign(process.env, input.env);
  let session: LocalSession;
  try {
    await LocalSession.wipe(input.name);
    session = await LocalSession.start({
      name: input.name,
      ...demoSessionOptions,
      logDir: input.logDir,
    });
  } catch (error) {
    send({
      kind: "failed",
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    process.exit(1);
  }
  process.on("message", async (request: Request) => {
    switch (request.kind) {
      case "stats":
        send({
          kind: "stats",
          stats: session.host?.stats() ?? { functions: {}, deadLetteredByHost: 0 },
        });
        break;
      case "stop":
        await session.stop({ deleteTopics: true });
        await LocalSession.wipe(input.name).catch(() => undefined);
        send({ kind: "stopped" });
        process.exit(0);
    }
  });
  send({ kind: "ready", description: session.describe() });
});
