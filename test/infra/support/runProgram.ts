// Runs the Pulumi program (index.ts) under fresh mocks with the given stack config and waits until
// every resource is registered. Each call re-evaluates index.ts, so one mocha run can try several
// configurations.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { promiseOf } from "./outputs";
import { ProgramMocks } from "./programMocks";

export type Program = typeof import("../../../index");

const PROGRAM = path.join(__dirname, "..", "..", "..", "index.ts");

/** Evaluates index.ts under `mocks` and returns its exports at once, before anything has resolved. */
export async function startProgram(config: Record<string, string>, mocks: ProgramMocks): Promise<Program> {
  const secretKeys = ["ecssd:examplesPassword"];
  pulumi.runtime.setAllConfig(config, secretKeys);
  await pulumi.runtime.setMocks(mocks, "ecssd", "test", false);
  // A dynamic load after the mocks are in place (require: mocha runs these files as CommonJS through
  // tsx, whose ESM import() would not resolve an extensionless TypeScript path).
  delete require.cache[require.resolve(PROGRAM)];
  return require(PROGRAM) as Program;
}

/** The SDK's own "all outstanding RPCs are done" wait (what `pulumi up` does before exiting). */
export function waitForRegistrations(): Promise<void> {
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
  return settings.waitForRPCs();
}

export async function runProgram(
  config: Record<string, string>,
  mocks: ProgramMocks = new ProgramMocks(),
): Promise<{ mocks: ProgramMocks; program: Program }> {
  const program = await startProgram(config, mocks);
  await Promise.all([
    promiseOf(program.portalUrl),
    promiseOf(program.zoneId),
    promiseOf(program.clusterName),
    promiseOf(program.reconcilerFunctionName),
  ]);
  await waitForRegistrations();
  return { mocks, program };
}
