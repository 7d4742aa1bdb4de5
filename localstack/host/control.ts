import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { FunctionHost } from "./host.ts";

/**
 * The control endpoint of a running local session: a small HTTP server on 127.0.0.1 through which
 * the operators' CLI stops and restarts a consumer group's pollers (what disabling and enabling an
 * event source mapping is on AWS), e.g. before moving the group's offsets. Its URL and a random
 * token are in the session description (`.duplex/sessions/<name>.json`); every request must carry
 * the token in `x-duplex-control-token`.
 *
 * - `GET /consumers` → `{ consumers: [{ groupId, functionName, topic, running }] }`
 * - `GET /mappings` → `{ mappings: [{ kind, functionName, source, running, lastProcessingResult }] }`,
 *   every trigger as an event source mapping would describe it (for `duplex doctor`)
 * - `POST /consumers/stop` with `{ "groupId": "..." }` → stops the group's pollers, waits until
 *   they left the group; 404 when the host has no poller in that group
 * - `POST /consumers/start` with `{ "groupId": "..." }` → starts them again
 * - `POST /functions/<name>/invoke` with the event as body → `{ result }`, what the function
 *   returned (Lambda's synchronous Invoke); 502 `{ errorMessage }` when it failed. Only functions
 *   with an `operator` trigger (the log-operations function) may be invoked this way.
 */
export interface ControlEndpoint {
  readonly url: string;
  readonly token: string;
}

/** The header that carries the token. */
export const CONTROL_TOKEN_HEADER = "x-duplex-control-token";

export interface ControlServer extends ControlEndpoint {
  close(): Promise<void>;
}

async function body(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return {};
  const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
}

function reply(response: ServerResponse, status: number, payload: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(payload));
}

/** Opens the control endpoint of `host` on 127.0.0.1 (a free port). */
export async function startControlServer(host: FunctionHost): Promise<ControlServer> {
  const token = randomBytes(16).toString("hex");
  const server = createServer((request, response) => {
    void (async () => {
      if (request.headers[CONTROL_TOKEN_HEADER] !== token) {
        reply(response, 401, { error: `missing or wrong ${CONTROL_TOKEN_HEADER}` });
        return;
      }
      const path = request.url ?? "/";
      const invoke = /^\/functions\/([a-z0-9-]+)\/invoke$/.exec(path);
      if (request.method === "POST" && invoke !== null) {
        const fn = host.functions.get(invoke[1] ?? "");
        if (fn === undefined || fn.declaration.trigger.kind !== "operator") {
          reply(response, 404, { error: `no operator function ${invoke[1]} in this host` });
          return;
        }
        try {
          reply(response, 200, { result: await fn.invoke(await body(request)) });
        } catch (error) {
          reply(response, 502, {
            errorMessage: error instanceof Error ? error.message : String(error),
          });
        }
        return;
      }
      if (request.method === "GET" && path === "/mappings") {
        reply(response, 200, { mappings: host.mappings() });
        return;
      }
      if (request.method === "GET" && path === "/consumers") {
        reply(response, 200, { consumers: host.consumers() });
        return;
      }
      if (
        request.method === "POST" &&
        (path === "/consumers/stop" || path === "/consumers/start")
      ) {
        const { groupId } = await body(request);
        if (typeof groupId !== "string") {
          reply(response, 400, { error: "expected a JSON body { groupId }" });
          return;
        }
        const known =
          path === "/consumers/stop"
            ? await host.pauseConsumer(groupId)
            : host.resumeConsumer(groupId);
        if (!known) {
          reply(response, 404, { error: `no consumer in group ${groupId} in this host` });
          return;
        }
        reply(response, 200, {
          consumers: host.consumers().filter((c) => c.groupId === groupId),
        });
        return;
      }
      reply(response, 404, { error: `no route ${request.method} ${path}` });
    })().catch((error: unknown) =>
      reply(response, 500, { error: error instanceof Error ? error.message : String(error) }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  server.unref();
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
