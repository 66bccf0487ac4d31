import { existsSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { bundleLambda } from "./lambdaBundle";

/** What the cleanup keeps in the stack's state: all its delete needs, years later, on another machine. */
interface RecordCleanupState {
  readonly zoneId: string;
  /** ownRecordRemoval.ts bundled into one CommonJS file, the AWS SDK left external. */
  readonly code: string;
  readonly endpoint?: string;
  /** The stack's deployment mark; absent in a state written before deployments had names. */
  readonly deployment?: string;
  readonly claimUnattributed?: boolean;
}

// Pulumi serializes this object's functions into the state and runs them in its own provider process at
// `pulumi destroy`, where this module, its imports and TypeScript are not loaded. So each function uses
// only its arguments, globals and `require` of Node.js built-ins; the removal itself arrives as bundled
// code in the state (`code`), so it runs the Route53 edge exactly as it was when the stack was last updated.
const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: RecordCleanupState) {
    return { id: `ecssd-record-cleanup-${inputs.zoneId}`, outs: inputs };
  },
  async diff(_id: string, olds: RecordCleanupState, news: RecordCleanupState) {
    const changed = ["zoneId", "code", "endpoint", "deployment", "claimUnattributed"].filter(
      (k) => olds[k as keyof RecordCleanupState] !== news[k as keyof RecordCleanupState],
    );
    // Another zone means leaving the old one: replacing deletes our records there, which is what leaving is.
    return { changes: changed.length > 0, replaces: changed.filter((k) => k === "zoneId") };
  },
  // A new bundle only replaces the code kept for destroy; it must not run a delete.
  async update(_id: string, _olds: RecordCleanupState, news: RecordCleanupState) {
    return { outs: news };
  },
  async delete(_id: string, props: RecordCleanupState) {
    const { createRequire } = require("node:module");
    const { join } = require("node:path");
    // The SDK comes from the program's own node_modules (Pulumi runs providers in the program's directory).
    const load = createRequire(join(process.cwd(), "package.json"));
    const bundle: { exports: Record<string, unknown> } = { exports: {} };
    new Function("module", "exports", "require", props.code)(bundle, bundle.exports, load);
    const remove = bundle.exports.removeOwnRecordSets as (target: object) => Promise<unknown>;
    await remove({
      zoneId: props.zoneId,
      ...(props.endpoint ? { endpoint: props.endpoint } : {}),
      ...(props.deployment ? { deployment: props.deployment } : {}),
      ...(props.claimUnattributed ? { claimUnattributed: true } : {}),
    });
  },
};

/** The provider, for tests that run its delete the way Pulumi would. */
export const recordCleanupProvider = provider;

/** ownRecordRemoval.ts as one CommonJS file; `.js` when this package is used compiled. */
export function recordRemovalCode(): string {
  const ts = path.join(__dirname, "ownRecordRemoval.ts");
  const entry = existsSync(ts) ? ts : path.join(__dirname, "ownRecordRemoval.js");
  // node20: the oldest Node.js the program itself runs on (package.json engines).
  return bundleLambda(entry, { target: "node20" }).code;
}

/** Arguments of {@link RecordCleanup}. */
export interface RecordCleanupArgs {
  /** The zone our writers write to, which this stack did not create (required). */
  readonly zoneId: pulumi.Input<string>;
  /** A Route53-compatible API instead of AWS. Default: AWS, with the credentials of the environment. */
  readonly endpoint?: pulumi.Input<string>;
  /** The stack's deployment mark (ECSSD_DEPLOYMENT, records/setIdentifier.ts): only its sets are deleted. */
  readonly deployment?: pulumi.Input<string>;
  /** Also delete unattributed (`ecssd1`) sets: the reconciler's ECSSD_CLAIM_UNATTRIBUTED. Default: false. */
  readonly claimUnattributed?: pulumi.Input<boolean>;
}

/**
 * Nothing while the stack lives; on `pulumi destroy`, deletes from a zone the stack did not create every
 * record set this stack's writers made (records/: the SetIdentifier parses as ours and names its deployment)
 * and nothing else: another stack's sets in the same zone stay. Resources that
 * write records (the agent, the reconciler) depend on it, so destroy removes them first.
 */
export class RecordCleanup extends pulumi.dynamic.Resource {
  constructor(name: string, args: RecordCleanupArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        zoneId: args.zoneId,
        endpoint: args.endpoint,
        deployment: args.deployment,
        claimUnattributed: args.claimUnattributed,
        code: recordRemovalCode(),
      },
      opts,
    );
  }
}
