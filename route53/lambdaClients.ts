// The clients the Lambdas (the reconciler, the registrar) and their commands build from their settings and the
// environment when none are injected, pointed at local servers when ECSSD_ROUTE53_ENDPOINT /
// ECSSD_ECS_ENDPOINT say so. The SDK's own retries are off (maxAttempts 1): every request goes through
// AwsCall, which retries with back-off and jitter and counts each attempt.
import type { EC2Client } from "@aws-sdk/client-ec2";
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { Route53Client } from "@aws-sdk/client-route-53";
import { route53Client } from "./client";
import { ec2Client } from "./ec2Client";
import { ecsClient } from "./ecsClient";

/** The settings that say where the APIs are (the reconciler's and the registrar's, same names). */
export interface AwsEndpoints {
  readonly route53Endpoint?: string | undefined;
  readonly ecsEndpoint?: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The problem to report when no ECS client can be built, in the settings errors' `[NAME] ...` form. */
export const ECS_REGION_MISSING = "[AWS_REGION] must be set to the region of the ECS clusters";

function regionOf(env: Env): string | undefined {
  return env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
}

/** Route53: us-east-1 signing unless a region is set, placeholders for a local endpoint. */
export function lambdaRoute53Client(endpoints: AwsEndpoints, env: Env = process.env): Route53Client {
  const region = regionOf(env);
  return route53Client({
    ...(region !== undefined && { region }),
    ...(endpoints.route53Endpoint !== undefined && { endpoint: endpoints.route53Endpoint }),
    env,
  });
}

/**
 * ECS, in the environment's region (us-east-1 for a local endpoint without one); undefined when no region is
 * known, for the caller to report {@link ECS_REGION_MISSING} with its own settings error.
 */
export function lambdaEcsClient(endpoints: AwsEndpoints, env: Env = process.env): ECSClient | undefined {
  const region = regionOf(env) ?? (endpoints.ecsEndpoint !== undefined ? "us-east-1" : undefined);
  if (region === undefined) return undefined;
  return ecsClient({ region, endpoint: endpoints.ecsEndpoint, env });
}

/**
 * EC2, in the environment's region, for the registrar's AZ names → AZ IDs (the task's AZs are its cluster's
 * region's); undefined when the settings' azIds (ECSSD_AZ_IDS) map them, as EC2 is then never asked, or when no
 * region is known: then no task gets an AZ set.
 */
export function lambdaEc2Client(
  settings: { readonly azIds?: unknown },
  env: Env = process.env,
): EC2Client | undefined {
  if (settings.azIds !== undefined) return undefined;
  const region = regionOf(env);
  return region === undefined ? undefined : ec2Client({ region, env });
}
