import { describe, expect, it } from "vitest";
import type { FunctionDeclaration } from "../../../functions/kit/declarations.ts";
import { DEFAULT_LOG_COMPRESSION, readRuntimeConfig } from "../../../functions/kit/env.ts";
import { InvalidEnvironmentVariableError } from "../../../functions/kit/errors.ts";

/** A function that only produces to the log: the smallest declaration with log access. */
const producer = {
  name: "probe",
  resources: [{ kind: "log", access: "produce", topics: ["order-events"] }],
} as unknown as FunctionDeclaration;

const env = { DUPLEX_KAFKA_BROKERS: "127.0.0.1:9092" };

describe("the log producer's codec (DUPLEX_LOG_COMPRESSION)", () => {
  it("is lz4 unless set", () => {
    expect(DEFAULT_LOG_COMPRESSION).toBe("lz4");
    expect(readRuntimeConfig(producer, env).kafka?.compression).toBe("lz4");
    expect(
      readRuntimeConfig(producer, { ...env, DUPLEX_LOG_COMPRESSION: "" }).kafka?.compression,
    ).toBe("lz4");
  });

  it.each(["none", "gzip", "snappy", "zstd"])("takes %s", (codec) => {
    expect(
      readRuntimeConfig(producer, { ...env, DUPLEX_LOG_COMPRESSION: codec }).kafka?.compression,
    ).toBe(codec);
  });

  it("refuses an unknown codec at cold start, naming the variable and the choices", () => {
    const read = () => readRuntimeConfig(producer, { ...env, DUPLEX_LOG_COMPRESSION: "brotli" });
    expect(read).toThrow(InvalidEnvironmentVariableError);
    expect(read).toThrow(/DUPLEX_LOG_COMPRESSION.*none, gzip, snappy, lz4, zstd.*brotli/);
  });
});
