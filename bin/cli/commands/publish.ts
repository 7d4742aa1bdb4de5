import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { createEvent, type EventInput } from "../../../events/create.ts";
import type { EventEnvelope } from "../../../events/envelope.ts";
import { EventError } from "../../../events/errors.ts";
import { decodeEvent, findEventDefinition } from "../../../events/registry.ts";
import type { EventTypeName } from "../../../events/types.ts";
import { EventBridgeFastLane } from "../../../functions/kit/fast-lane.ts";
import { namespacedProducer } from "../../../functions/kit/log/namespace.ts";
import { Publisher } from "../../../functions/kit/publisher.ts";
import { run } from "../context.ts";
import { UsageError } from "../errors.ts";
import { EXIT } from "../exit-codes.ts";

/**
 * Turns what an operator wrote into envelopes: a full envelope (validated as is), or the short
 * form `{ "eventType": "...", "data": {...} }` (a new event id, now, a new flow). One object or an
 * array of them.
 */
export function eventsFromJson(text: string, origin: string): EventEnvelope[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new UsageError(`${origin} is not JSON: ${(cause as Error).message}`, {
      hint: 'write {"eventType":"RestockProductRequested","data":{...}} or a full envelope',
    });
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  if (items.length === 0)
    throw new UsageError(`${origin} holds an empty array: nothing to publish`);
  return items.map((item, i) => {
    const where = items.length > 1 ? `${origin}[${i}]` : origin;
    try {
      if (typeof item !== "object" || item === null)
        throw new UsageError(`${where} is not an object`);
      const candidate = item as Record<string, unknown>;
      if (candidate.eventId === undefined) {
        const type = candidate.eventType;
        if (typeof type !== "string" || findEventDefinition(type) === undefined) {
          throw new UsageError(`${where}: unknown eventType '${String(type)}'`, {
            hint: "see the catalog: npm run catalog:export, or events/catalog/",
          });
        }
        return createEvent(type as EventTypeName, candidate.data as EventInput<EventTypeName>);
      }
      return decodeEvent(candidate);
    } catch (error) {
      if (error instanceof EventError) {
        throw new UsageError(`${where}: ${error.message}`, { cause: error });
      }
      throw error;
    }
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function registerPublish(program: Command): void {
  program
    .command("publish")
    .argument("[file]", "JSON file with one event or an array; '-' or nothing reads stdin")
    .description(
      "Validate events against the catalog and publish them as producers do: to the log first, then critical commands to the fast lane.",
    )
    .option("--dry-run", "validate only, publish nothing")
    .addHelpText(
      "after",
      `
Input: a full envelope, or the short form {"eventType": "...", "data": {...}}.

Examples:
  duplex publish restock.json
  echo '{"eventType":"RestockProductRequested","data":{"productId":"p-1","name":"Kettle","unitPriceCents":1999,"quantity":10}}' | duplex publish
  duplex publish orders.json --dry-run`,
    )
    .action(async (file: string | undefined, options: { dryRun?: boolean }, command: Command) =>
      run(command, async (ctx) => {
        const origin = file === undefined || file === "-" ? "stdin" : file;
        let text: string;
        try {
          text = origin === "stdin" ? await readStdin() : readFileSync(origin, "utf8");
        } catch (cause) {
          throw new UsageError(`cannot read ${origin}: ${(cause as Error).message}`);
        }
        const events = eventsFromJson(text, origin);
        if (options.dryRun) {
          for (const e of events)
            ctx.out.line(
              `valid  ${e.eventType}  ${e.aggregateType} ${e.aggregateId}  ${ctx.out.style.dim(e.eventId)}`,
            );
          ctx.out.result({ dryRun: true, valid: events.map((e) => e.eventId) });
          return EXIT.ok;
        }
        const target = await ctx.target();
        const producer = namespacedProducer(target.log.producer(), target.topicPrefix);
        try {
          const publisher = new Publisher({
            log: producer,
            fastLane: new EventBridgeFastLane(target.eventBridge, target.resources.eventBusName),
            eventBusName: target.resources.eventBusName,
          });
          const result = await publisher.publish(events);
          const fast = new Set(result.fastLane.delivered);
          for (const e of events) {
            ctx.out.line(
              `published  ${e.eventType}  ${e.aggregateType} ${e.aggregateId}  ${ctx.out.style.dim(e.eventId)}${fast.has(e.eventId) ? "  (+ fast lane)" : ""}`,
            );
          }
          for (const failure of result.fastLane.failed) {
            ctx.out.note(
              `fast lane refused ${JSON.stringify(failure)}: the reconciler will deliver it from the log`,
            );
          }
          ctx.out.result({
            target: target.label,
            ...result,
            events: events.map((e) => ({
              eventId: e.eventId,
              eventType: e.eventType,
              correlationId: e.correlationId,
            })),
          });
          return EXIT.ok;
        } finally {
          await producer.close();
        }
      }),
    );
}
