// The registrar over real clients: ECS for tasks, Route53 for the zone, both through the AWS edge (route53/),
// every request counted and retried by its AwsCall. Shared by the Lambda handler and `ecssd task-event`.
import type { EC2Client } from "@aws-sdk/client-ec2";
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { Route53Client } from "@aws-sdk/client-route-53";
import { ownershipRules } from "../records";
import { AwsCall } from "../route53/awsCall";
import type { QuotaZone, RecordSetUsage } from "../route53/recordSetQuota";
import { hostedZoneRecordSetUsage } from "../route53/recordSetUsage";
import type { RetryPolicy } from "../route53/retry";
import { zoneIdCache } from "../route53/zoneLookup";
import { type AvailabilityZoneIds, availabilityZoneIds } from "./availabilityZoneIds";
import type { RegistrarConfig } from "./config";
import { EcsTaskSource } from "./ecsTaskSource";
import { applyTaskEvent, type EventResult, type RegistrarSettings } from "./registrar";
import { Route53TaskZone } from "./route53TaskZone";

export interface RegistrarClients {
  route53: Route53Client;
  ecs: ECSClient;
  /** Maps tasks' AZ names to AZ IDs (DescribeAvailabilityZones) unless ECSSD_AZ_IDS does; none: neither, no AZ sets. */
  ec2?: EC2Client;
  retryPolicy?: RetryPolicy;
}

/** A registrar bound to its clients; the task definition cache lives as long as it does. */
export class Registrar {
  readonly calls: AwsCall;
  private readonly tasks: EcsTaskSource;
  private readonly zone: Route53TaskZone;
  private readonly zones: AvailabilityZoneIds | undefined;
  /** The zone it writes, and how full it is: what the record-set quota's warning says. */
  readonly quota: { zone(): Promise<QuotaZone>; usage(): Promise<RecordSetUsage> };

  constructor(
    clients: RegistrarClients,
    private readonly config: RegistrarConfig,
  ) {
    this.calls = new AwsCall(clients.retryPolicy);
    const { call } = this.calls;
    this.tasks = new EcsTaskSource(clients.ecs, call);
    this.zones = availabilityZoneIds(config.azIds, clients.ec2, call);
    // Looked up by the first event that needs it; a failed lookup is asked again by the next event.
    const zoneId = zoneIdCache(clients.route53, config, call);
    this.zone = new Route53TaskZone(clients.route53, zoneId, call, config.deployment);
    this.quota = {
      zone: async () => ({ name: config.zoneName, id: await zoneId() }),
      usage: async () => hostedZoneRecordSetUsage(clients.route53, await zoneId(), call),
    };
  }

  apply(event: unknown): Promise<EventResult> {
    return applyTaskEvent(
      event,
      { tasks: this.tasks, zone: this.zone, ...(this.zones && { zones: this.zones }) },
      registrarSettings(this.config),
    );
  }
}

/** The core's settings from the registrar's configuration (the Lambda's, or the coalescer's task events'). */
export function registrarSettings(config: RegistrarConfig): RegistrarSettings {
  const owners = ownershipRules(config.serviceOwners, config.serviceOwnersClosed);
  return {
    zone: config.zoneName,
    srvTtl: config.srvTtl,
    routing: config.routing,
    clusters: config.clusters,
    ...(owners && { serviceOwners: owners }),
    ...(config.deployment !== undefined && { deployment: config.deployment }),
    maxPortsPerContainer: config.maxPortsPerContainer,
  };
}
