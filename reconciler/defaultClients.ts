// The clients a run uses when none are injected: built once per process from the configuration, pointed
// at local servers when ECSSD_ROUTE53_ENDPOINT / ECSSD_ECS_ENDPOINT say so.
import { ECSClient } from "@aws-sdk/client-ecs";
import type { Route53Client } from "@aws-sdk/client-route-53";
import Docker from "dockerode";
import { route53Client } from "../route53";
import type { ReconcilerConfig } from "./config";
import { ReconcilerConfigError } from "./errors";

export interface ReconcilerClients {
  route53: Route53Client;
  ecs?: ECSClient;
  docker?: Docker;
}

/**
 * Builds the clients the configuration calls for. The SDK's own retries are off (maxAttempts 1): the
 * reconciler retries throttling itself, with back-off and jitter, and counts every request.
 */
export function buildDefaultClients(
  config: ReconcilerConfig,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ReconcilerClients {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  // Local servers (the local zone, moto) do not check signatures; without AWS credentials in the
  // environment, sign with placeholders rather than fail looking for real ones.
  const local = (endpoint: string | undefined) =>
    endpoint !== undefined && !env.AWS_ACCESS_KEY_ID
      ? { endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } }
      : endpoint !== undefined
        ? { endpoint }
        : {};
  // The edge's factory: us-east-1 signing unless a region is set, placeholders for a local endpoint.
  const route53 = route53Client({
    ...(region !== undefined && { region }),
    ...(config.route53Endpoint !== undefined && { endpoint: config.route53Endpoint }),
    env,
  });
  if (config.inventory === "docker") return { route53, docker: new Docker() };
  const ecsRegion = region ?? (config.ecsEndpoint !== undefined ? "us-east-1" : undefined);
  if (ecsRegion === undefined) {
    throw new ReconcilerConfigError(["[AWS_REGION] must be set to the region of the ECS clusters"]);
  }
  const ecs = new ECSClient({ region: ecsRegion, maxAttempts: 1, ...local(config.ecsEndpoint) });
  return { route53, ecs };
}
