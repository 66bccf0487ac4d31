/**
 * Node.js runtimes AWS Lambda supports, with the date AWS deprecates each (from the Lambda
 * runtimes page). After that date a function can no longer be created or updated on it.
 */
export const LAMBDA_NODE_RUNTIMES = {
  "nodejs20.x": { deprecation: "2026-04-30", esbuildTarget: "node20" },
  "nodejs22.x": { deprecation: "2027-04-30", esbuildTarget: "node22" },
  "nodejs24.x": { deprecation: "2028-04-30", esbuildTarget: "node24" },
} as const;

/** A Node.js runtime identifier Lambda accepts. */
export type LambdaNodeRuntime = keyof typeof LAMBDA_NODE_RUNTIMES;

/** The reconciler's runtime: the SDK v3 it provides is what the bundle leaves external. */
export const RECONCILER_RUNTIME: LambdaNodeRuntime = "nodejs24.x";
/** The registrar's: the reconciler's, so that one bundle target and one SDK serve both Lambdas. */
export const REGISTRAR_RUNTIME: LambdaNodeRuntime = RECONCILER_RUNTIME;

/** Whether `runtime` can still be deployed at `now`. */
export function isRuntimeSupported(runtime: string, now: Date): boolean {
  const entry = (LAMBDA_NODE_RUNTIMES as Record<string, { deprecation: string }>)[runtime];
  return entry !== undefined && now.getTime() < Date.parse(`${entry.deprecation}T00:00:00Z`);
}
