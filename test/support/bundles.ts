import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import type { FunctionDeclaration } from "../../functions/kit/declarations.ts";
import { functionDeclarations } from "../../functions/registry.ts";
import { FUNCTION_BUNDLING } from "../../lib/functions.ts";

/**
 * The Lambda bundles as CDK's NodejsFunction builds them (`lib/functions.ts`'s
 * `FUNCTION_BUNDLING`: esbuild, ESM, node24, minified, source map without sources, aliases),
 * built in memory with esbuild's API and its metafile: the bundle test checks what they
 * contain, and `node test/support/bundles.ts` prints their sizes.
 */

/** One function's bundle. */
export interface FunctionBundle {
  readonly name: string;
  /** Bytes of `index.mjs` (the source map not counted). */
  readonly bytes: number;
  /** Bytes of `index.mjs` gzipped (level 9): roughly what the asset zip holds. */
  readonly gzipBytes: number;
  /** Packages with code in the bundle, with their bytes in the output. */
  readonly packages: ReadonlyMap<string, number>;
  /** Every input file in the bundle (metafile paths, relative to the repository). */
  readonly inputs: readonly string[];
  /** The bundle itself (`index.mjs`). */
  readonly code: Uint8Array;
}

/** The npm package a metafile input belongs to, or `undefined` for the project's own files. */
export function packageOf(input: string): string | undefined {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match?.[1];
}

function aliases(): Record<string, string> {
  const raw = FUNCTION_BUNDLING.esbuildArgs?.["--alias"];
  const list = Array.isArray(raw) ? raw : [];
  return Object.fromEntries(
    list.map((entry) => {
      const [from = "", to = ""] = String(entry).split("=");
      return [from, to];
    }),
  );
}

/**
 * Bundles declared functions in one esbuild run (one entry point each, so each gets the bundle
 * NodejsFunction would make; the run shares the parsing).
 *
 * @example
 * ```ts
 * const [saga] = await bundleFunctions([orderSagaDeclaration]);
 * saga.packages.has("kafkajs"); // false
 * ```
 */
export async function bundleFunctions(
  declarations: readonly Pick<FunctionDeclaration, "name" | "entry">[],
): Promise<FunctionBundle[]> {
  const result = await build({
    entryPoints: declarations.map((d) => ({ in: d.entry, out: `${d.name}/index` })),
    bundle: true,
    platform: "node",
    format: "esm",
    outExtension: { ".js": ".mjs" },
    target: FUNCTION_BUNDLING.target ?? "node24",
    mainFields: FUNCTION_BUNDLING.mainFields ?? [],
    banner: { js: FUNCTION_BUNDLING.banner ?? "" },
    minify: FUNCTION_BUNDLING.minify ?? false,
    sourcemap: FUNCTION_BUNDLING.sourceMap ?? false,
    sourcesContent: FUNCTION_BUNDLING.sourcesContent ?? true,
    alias: aliases(),
    outdir: "out",
    metafile: true,
    write: false,
    logLevel: "error",
  });
  return declarations.map((declaration) => {
    const suffix = `out/${declaration.name}/index.mjs`;
    const code = result.outputFiles.find((f) => f.path.endsWith(suffix));
    const meta = Object.entries(result.metafile.outputs).find(([path]) => path === suffix)?.[1];
    if (code === undefined || meta === undefined) {
      throw new Error(`esbuild produced no ${suffix}`);
    }
    const packages = new Map<string, number>();
    for (const [input, { bytesInOutput }] of Object.entries(meta.inputs)) {
      const name = packageOf(input);
      if (name !== undefined) packages.set(name, (packages.get(name) ?? 0) + bytesInOutput);
    }
    return {
      name: declaration.name,
      bytes: code.contents.byteLength,
      gzipBytes: gzipSync(code.contents, { level: 9 }).byteLength,
      packages,
      inputs: Object.keys(meta.inputs),
      code: code.contents,
    };
  });
}

/** Every declared function's bundle. */
export function bundleAll(
  declarations: readonly FunctionDeclaration[] = functionDeclarations,
): Promise<FunctionBundle[]> {
  return bundleFunctions(declarations);
}

if (import.meta.main) {
  const kib = (bytes: number) => (bytes / 1024).toFixed(1);
  const bundles = await bundleAll();
  console.log("function | index.mjs KiB | gzip KiB | kafkajs KiB | @platformatic/kafka KiB");
  for (const b of bundles) {
    console.log(
      [
        b.name,
        kib(b.bytes),
        kib(b.gzipBytes),
        kib(b.packages.get("kafkajs") ?? 0),
        kib(b.packages.get("@platformatic/kafka") ?? 0),
      ].join(" | "),
    );
  }
  const total = bundles.reduce((sum, b) => sum + b.bytes, 0);
  console.log(`total | ${kib(total)} | ${kib(bundles.reduce((s, b) => s + b.gzipBytes, 0))}`);
}
