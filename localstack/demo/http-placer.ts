import type { EventEnvelope } from "../../events/envelope.ts";

/** What placing commands through the HTTP API took. */
export interface HttpPlacement {
  accepted: number;
  /** Answers 503 (the log did not acknowledge), each retried with the same Idempotency-Key. */
  refused: number;
  retries: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends commands as a shop front would: `POST /commands/<type>` with the command's data and an
 * `Idempotency-Key` (the planned command's id, so a retry is the same request); a `503` or a
 * dropped connection is retried with backoff (honouring `Retry-After`, at most 10 s), any other
 * refusal fails the run with the problem the API answered.
 *
 * @example
 * ```ts
 * const stats = { accepted: 0, refused: 0, retries: 0 };
 * await placeViaHttp("http://127.0.0.1:8787", commands, stats);
 * ```
 */
export async function placeViaHttp(
  apiUrl: string,
  commands: readonly EventEnvelope[],
  stats: HttpPlacement,
): Promise<void> {
  await Promise.all(
    commands.map(async (command) => {
      for (let attempt = 0; ; attempt++) {
        let status: number;
        let text = "";
        let retryAfter: string | null = null;
        try {
          const response = await fetch(`${apiUrl}/commands/${command.eventType}`, {
            method: "POST",
            headers: { "content-type": "application/json", "idempotency-key": command.eventId },
            body: JSON.stringify(command.data),
            signal: AbortSignal.timeout(60_000),
          });
          status = response.status;
          retryAfter = response.headers.get("retry-after");
          text = await response.text();
        } catch {
          status = 0;
        }
        if (status === 202) {
          stats.accepted++;
          return;
        }
        const inFlight = status === 409 && text.includes("IDEMPOTENCY_KEY_IN_FLIGHT");
        if (status !== 503 && status !== 0 && !inFlight) {
          throw new Error(`${command.eventType} ${command.aggregateId}: HTTP ${status} ${text}`);
        }
        if (status === 503) stats.refused++;
        if (attempt >= 30) {
          throw new Error(
            `${command.eventType} ${command.aggregateId}: gave up after ${attempt} retries (last HTTP ${status})`,
          );
        }
        stats.retries++;
        const hinted = Number(retryAfter ?? "") * 1000;
        await sleep(
          Math.min(10_000, Number.isFinite(hinted) && hinted > 0 ? hinted : 250 * 2 ** attempt),
        );
      }
    }),
  );
}
