import type * as pulumi from "@pulumi/pulumi";
import type { ServiceOwners } from "../records";
import { settingValue } from "../settings/settingsTable";
import { SERVICE_OWNERS } from "../settings/sharedSettings";

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

/**
 * Who may offer which name, and the deployment's mark, as every component's settings take them: the program
 * gives the owners as JSON, and an unset value stays unset (the component's default).
 */
export function ownershipSettings(given: {
  readonly serviceOwners?: string | undefined;
  readonly serviceOwnersClosed?: boolean | undefined;
  readonly deployment?: string | undefined;
}): { serviceOwners?: ServiceOwners; serviceOwnersClosed?: boolean; deployment?: string } {
  return {
    ...(given.serviceOwners !== undefined && {
      serviceOwners: settingValue(SERVICE_OWNERS, given.serviceOwners),
    }),
    ...(given.serviceOwnersClosed !== undefined && { serviceOwnersClosed: given.serviceOwnersClosed }),
    ...(given.deployment !== undefined && { deployment: given.deployment }),
  };
}
