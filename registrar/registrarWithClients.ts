// The registrar over real clients: ECS for tasks, Route53 (through the edge) for the zone, every request
// counted and retried by the reconciler's ApiCalls. Shared by the Lambda handler and `ecssd task-event`.
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { Route53Client } from "@aws-sdk/client-route-53";
import { ApiCalls, type RetryPolicy } from "../reconciler/apiCalls";
import { findPrivateZoneId } from "../route53/zoneLookup";
import type { RegistrarConfig } from "./config";
import { EcsTaskSource } from "./ecsTaskSource";
import { applyTaskEvent, type EventResult } from "./registrar";
import { Route53TaskZone } from "./route53TaskZone";

export interface RegistrarClients {
  route53: Route53Client;
  ecs: ECSClient;
  retryPolicy?: RetryPolicy;
}

/** A registrar bound to its clients; the task definition cache lives as long as it does. */
export class Registrar {
  readonly calls: ApiCalls;
  private readonly tasks: EcsTaskSource;
  private readonly zone: Route53TaskZone;
  private zoneId: Promise<string> | undefined;

  constructor(
    clients: RegistrarClients,
    private readonly config: RegistrarConfig,
  ) {
    this.calls = new ApiCalls(clients.retryPolicy);
    const call = this.calls.call.bind(this.calls);
    this.tasks = new EcsTaskSource(clients.ecs, call);
    this.zone = new Route53TaskZone(
      clients.route53,
      () => {
        this.zoneId ??=
          config.zoneId !== undefined
            ? Promise.resolve(config.zoneId)
            : findPrivateZoneId(clients.route53, config.zoneName, call);
        // A failed lookup is asked again by the next event.
        this.zoneId.catch(() => {
          this.zoneId = undefined;
        });
        return this.zoneId;
      },
      call,
    );
  }

  apply(event: unknown): Promise<EventResult> {
    return applyTaskEvent(
      event,
      { tasks: this.tasks, zone: this.zone },
      {
        zone: this.config.zoneName,
        srvTtl: this.config.srvTtl,
        routing: this.config.routing,
        clusters: this.config.clusters,
        ...(this.config.serviceOwners && { serviceOwners: this.config.serviceOwners }),
      },
    );
  }
}
