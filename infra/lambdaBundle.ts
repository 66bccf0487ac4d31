import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import * as esbuild from "esbuild";

/** A Lambda bundle held in memory: one CommonJS file. */
export interface LambdaBundle {
  /** The file name inside the archive; the handler setting is `<basename>.handler`. */
  readonly fileName: "index.js";
  readonly code: string;
  /** SHA-256 of the code, hex: changes exactly when the deployed code would. */
  readonly sha256: string;
}

/** Options for {@link bundleLambda}. */
export interface BundleOptions {
  /** esbuild target, e.g. `node24`; match it to the function's runtime. */
  readonly target: string;
}

/**
 * Bundles a Lambda entry point (TypeScript or JavaScript) into one CommonJS file for Node.js.
 * `@aws-sdk/*` stays external: the Lambda Node.js runtime provides SDK v3, and bundling it would
 * add megabytes. Native addons (`*.node`) stay out too. Nothing is written to disk.
 *
 * @example bundleLambda("reconciler/handler.ts", { target: "node24" }).code
 */
export function bundleLambda(entry: string, options: BundleOptions): LambdaBundle {
  if (!existsSync(entry)) throw new Error(`bundleLambda: entry point not found: ${entry}`);
  const result = esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: options.target,
    format: "cjs",
    // Native addons cannot be inlined into one JavaScript file. The ones reachable today (ssh2's
    // crypto binding and cpu-features, through dockerode) are optional accelerators that their
    // packages load inside try/catch, so leaving them out only selects the pure-JS fallback.
    external: ["@aws-sdk/*", "*.node"],
    outfile: "index.js",
    write: false,
    // Stable output for stable input, so an unchanged handler causes no Lambda update.
    legalComments: "none",
    sourcemap: false,
    logLevel: "silent",
  });
  const file = result.outputFiles.find((f) => f.path.endsWith("index.js"));
  if (!file) throw new Error(`bundleLambda: esbuild produced no index.js for ${entry}`);
  const code = file.text;
  return { fileName: "index.js", code, sha256: createHash("sha256").update(code).digest("hex") };
}
