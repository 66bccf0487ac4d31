// One run with the real adapters: Route53 for the zone, ECS or the local Docker engine for the inventory,
// ECS StopTask for unhealthy tasks, HTTP for health checks. Each run counts its own API requests (AwsCall).
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { Route53Client } from "@aws-sdk/client-route-53";
import type Docker from "dockerode";
import type { Logger } from "pino";
import { AwsCall } from "../route53/awsCall";
import type { RetryPolicy } from "../route53/retry";
import type { ReconcilerConfig } from "./config";
import { DockerInventory } from "./dockerInventory";
import { EcsInventory } from "./ecsInventory";
import { EcsTaskStopper } from "./ecsTaskStopper";
import { checkEndpoints } from "./healthChecks";
import type { Inventory } from "./inventory";
import { runReconcile } from "./reconcile";
import { Route53ReconcilerZone } from "./route53Zone";
import type { ReconcileSummary } from "./runSummary";

/** What a run talks to. Give `ecs` (or `docker`) for the configured inventory, or an `inventory` outright. */
export interface ReconcileDeps {
  readonly route53: Route53Client;
  readonly ecs?: ECSClient;
  readonly docker?: Docker;
  /** Overrides the inventory that `config.inventory` would build. */
  readonly inventory?: Inventory;
  readonly logger?: Logger;
  readonly retryPolicy?: RetryPolicy;
  /** Epoch ms by which the run must be done (a Lambda's remaining time); health checks stop short of it. */
  readonly deadline?: number;
}

/** Runs the reconciler once over these clients and returns its summary. Throws when the zone or the inventory cannot be read. */
export async function reconcile(deps: ReconcileDeps, config: ReconcilerConfig): Promise<ReconcileSummary> {
  const calls = new AwsCall(deps.retryPolicy);
  const inventory = deps.inventory ?? buildInventory(deps, config, calls);
  // Only ECS tasks are ever stopped; the local stack never stops containers on its own.
  const stopper = deps.ecs && inventory.kind === "ecs" ? new EcsTaskStopper(deps.ecs, calls) : undefined;
  return runReconcile(
    {
      zone: new Route53ReconcilerZone(deps.route53, config, calls),
      inventory,
      ...(stopper && { stopper }),
      healthChecker: checkEndpoints,
      apiCalls: calls,
      ...(deps.logger && { logger: deps.logger }),
      ...(deps.deadline !== undefined && { deadline: deps.deadline }),
    },
    config,
  );
}

function buildInventory(deps: ReconcileDeps, config: ReconcilerConfig, calls: AwsCall): Inventory {
  if (config.inventory === "docker") {
    if (!deps.docker)
      throw new Error("reconcile: the docker inventory needs a dockerode client in deps.docker");
    if (!config.hostId) throw new Error("reconcile: the docker inventory needs config.hostId");
    return new DockerInventory({ docker: deps.docker, hostId: config.hostId, calls });
  }
  if (!deps.ecs) throw new Error("reconcile: the ecs inventory needs an ECS client in deps.ecs");
  return new EcsInventory({ ecs: deps.ecs, clusters: config.clusters, calls });
}
