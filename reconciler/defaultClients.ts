// The clients a run uses when none are injected: built once per process from the configuration by the AWS
// edge's factories (route53/lambdaClients.ts), or a dockerode client for the Docker inventory.
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { Route53Client } from "@aws-sdk/client-route-53";
import Docker from "dockerode";
import { ECS_REGION_MISSING, lambdaEcsClient, lambdaRoute53Client } from "../route53/lambdaClients";
import type { ReconcilerConfig } from "./config";
import { ReconcilerConfigError } from "./errors";

export interface ReconcilerClients {
  route53: Route53Client;
  ecs?: ECSClient;
  docker?: Docker;
}

/** Builds the clients the configuration calls for. */
export function buildDefaultClients(
  config: ReconcilerConfig,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ReconcilerClients {
  const route53 = lambdaRoute53Client(config, env);
  if (config.inventory === "docker") return { route53, docker: new Docker() };
  const ecs = lambdaEcsClient(config, env);
  if (ecs === undefined) throw new ReconcilerConfigError([ECS_REGION_MISSING]);
  return { route53, ecs };
}
