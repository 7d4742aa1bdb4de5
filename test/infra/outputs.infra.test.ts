import { describe, expect, it } from "vitest";
import {
  OPTIONAL_OUTPUT_KEYS,
  OUTPUT_KEYS,
  requiredOutputKeys,
} from "../../bin/cli/target/outputs.ts";
import { allEventDefinitions } from "../../events/registry.ts";
import type { TableName } from "../../functions/kit/declarations.ts";
import { functionDeclarations } from "../../functions/registry.ts";
import { TABLE_DESIGNS } from "../../lib/data.ts";
import { referencedId, synthStage } from "./support.ts";

/** The stack's outputs against the operators' CLI contract (bin/cli/target/outputs.ts). */
describe.each(["dev", "prod"] as const)("outputs of stage %s", (stage) => {
  const { json } = synthStage(stage, { nag: false });
  const outputs = (json.Outputs ?? {}) as Record<string, { Value: unknown }>;

  it("emit every key the CLI reads, optional ones included", () => {
    const required = requiredOutputKeys({
      commands: allEventDefinitions()
        .filter((d) => d.critical)
        .map((d) => d.type),
      tables: Object.keys(TABLE_DESIGNS) as TableName[],
      functions: functionDeclarations.map((d) => d.name),
    });
    const missing = [...required, ...OPTIONAL_OUTPUT_KEYS].filter((key) => !(key in outputs));
    expect(missing).toEqual([]);
  });

  it("point at the right resources", () => {
    expect(referencedId(outputs[OUTPUT_KEYS.eventBusName]?.Value)).toMatch(/^FastLaneBus/);
    expect(referencedId(outputs[OUTPUT_KEYS.archiveName]?.Value)).toMatch(/^FastLaneArchive/);
    expect(referencedId(outputs[OUTPUT_KEYS.table("read-models")]?.Value)).toMatch(
      /^TablesReadModels/,
    );
    expect(
      referencedId(outputs[OUTPUT_KEYS.commandQueueUrl("PlaceOrderRequested")]?.Value),
    ).toMatch(/^FastLanePlaceOrderRequestedCommandsQueue/);
    expect(
      referencedId(outputs[OUTPUT_KEYS.commandDeadLetterQueueUrl("PlaceOrderRequested")]?.Value),
    ).toMatch(/^FastLanePlaceOrderRequestedDeadLettersQueue/);
    expect(
      referencedId(
        outputs[OUTPUT_KEYS.commandDeliveryDeadLetterQueueUrl("PlaceOrderRequested")]?.Value,
      ),
    ).toMatch(/^FastLanePlaceOrderRequestedDeliveryDeadLettersQueue/);
    expect(referencedId(outputs[OUTPUT_KEYS.commandRuleArn("PlaceOrderRequested")]?.Value)).toMatch(
      /^FastLanePlaceOrderRequestedRule/,
    );
    expect(referencedId(outputs[OUTPUT_KEYS.functionName("order-saga")]?.Value)).toMatch(
      /^FunctionsordersagaFunction/,
    );
    expect(JSON.stringify(outputs[OUTPUT_KEYS.kafkaBootstrapBrokers]?.Value)).toContain(
      "BootstrapBrokerStringSaslIam",
    );
  });
});
