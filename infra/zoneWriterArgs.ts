import type * as pulumi from "@pulumi/pulumi";

/** What the program gives every component that touches the zone (the agent's service, the registrar, the reconciler), written once. */
export interface ZoneWriterArgs {
  /** The cluster whose instances or tasks it acts for (required). */
  readonly clusterArn: pulumi.Input<string>;
  /** The zone it writes to (required). */
  readonly zoneId: pulumi.Input<string>;
  readonly zoneArn: pulumi.Input<string>;
  readonly zoneName: pulumi.Input<string>;
  /** The region, for log delivery and ARN partitions (required). */
  readonly region: string;
  /** TTL of the SRV records it writes, seconds. Default: 10. */
  readonly srvTtl?: number;
  /** Days its logs are kept. Default: 14. */
  readonly logRetentionDays?: number;
  /** ECSSD_SERVICE_OWNERS as JSON (records/serviceOwners.ts). Default: none, every name open. */
  readonly serviceOwners?: string;
  /** ECSSD_SERVICE_OWNERS_CLOSED: names the owners do not list may be offered by nobody. Default: unset, open. */
  readonly serviceOwnersClosed?: boolean;
  /** ECSSD_DEPLOYMENT: the stack's mark in every SetIdentifier (records/setIdentifier.ts). Default: none. */
  readonly deployment?: pulumi.Input<string>;
}
