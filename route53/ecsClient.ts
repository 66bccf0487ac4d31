// The one place that builds an ECS client (the reconciler's inventory and stops, the registrar's tasks), with
// the settings every AWS client of the tree shares (client.ts). Not exported by index.ts: the agent loads the
// edge's index, and must not load the ECS SDK with it.
import { ECSClient } from "@aws-sdk/client-ecs";
import { awsClientBase } from "./client";

export interface EcsClientOptions {
  /** The region of the clusters (ECS is regional: no default). */
  region: string;
  /** An ECS-compatible API (moto) instead of AWS. */
  endpoint?: string | undefined;
  /** Attempts per request inside the SDK (default 1: callers retry themselves through AwsCall, and count). */
  maxAttempts?: number;
  /** Where to look for AWS credentials; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

export function ecsClient(options: EcsClientOptions): ECSClient {
  return new ECSClient(
    awsClientBase({
      endpoint: options.endpoint,
      region: options.region,
      maxAttempts: options.maxAttempts ?? 1,
      env: options.env ?? process.env,
    }),
  );
}
