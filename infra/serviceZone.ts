import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of {@link ServiceZone}. */
export interface ServiceZoneArgs {
  /** The zone's domain. Default: `servicediscovery.internal`. */
  readonly zoneName?: pulumi.Input<string>;
  /** The VPC whose resolver answers for the zone (required). */
  readonly vpcId: pulumi.Input<string>;
  /** The VPC's region (required). */
  readonly region: pulumi.Input<string>;
}

/**
 * The Route53 private hosted zone the agent and reconciler write to. `forceDestroy` lets
 * `pulumi destroy` delete it while it still holds the agent's records, which Pulumi does not
 * track.
 */
export class ServiceZone extends pulumi.ComponentResource {
  readonly zone: aws.route53.Zone;
  readonly zoneId: pulumi.Output<string>;
  readonly zoneArn: pulumi.Output<string>;
  readonly zoneName: pulumi.Output<string>;

  constructor(name: string, args: ServiceZoneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecssd:infra:ServiceZone", name, {}, opts);
    this.zone = new aws.route53.Zone(
      `${name}-zone`,
      {
        name: args.zoneName ?? "servicediscovery.internal",
        comment: "ecs-service-discovery: SRV and A records written by the agent, pruned by the reconciler",
        vpcs: [{ vpcId: args.vpcId, vpcRegion: args.region }],
        forceDestroy: true,
      },
      { parent: this },
    );
    this.zoneId = this.zone.zoneId;
    this.zoneArn = this.zone.arn;
    // Route53 may report the name with a trailing dot; the record contract uses it without.
    this.zoneName = this.zone.name.apply((n) => n.replace(/\.$/, ""));
    this.registerOutputs({ zoneId: this.zoneId, zoneArn: this.zoneArn, zoneName: this.zoneName });
  }
}
