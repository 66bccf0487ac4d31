import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { canonicalName } from "../records";

/** A hosted zone the stack uses and does not own, as the writers and their policies need it. */
export interface ZoneRef {
  readonly zoneId: pulumi.Output<string>;
  readonly zoneArn: pulumi.Output<string>;
  /** Without the trailing dot, as the record contract writes names. */
  readonly zoneName: pulumi.Output<string>;
}

/**
 * Reads an existing private hosted zone from AWS and checks that `vpcId`'s resolver answers for it: the
 * zone found by its name among the private zones associated with the VPC must be this very zone. A public
 * zone, or one the VPC cannot see, fails `pulumi up` before anything is created that would write to it.
 */
export function existingPrivateZone(
  zoneId: pulumi.Input<string>,
  vpcId: pulumi.Input<string>,
  parent: pulumi.Resource,
): ZoneRef {
  const zone = aws.route53.getZoneOutput({ zoneId }, { parent });
  const seenFromVpc = aws.route53.getZoneOutput({ name: zone.name, privateZone: true, vpcId }, { parent });
  const checked = pulumi.all([zone, seenFromVpc, vpcId]).apply(([z, v, vpc]) => {
    if (z.privateZone !== true)
      throw new Error(
        `zone ${z.zoneId} (${z.name}) is public; service discovery needs a private hosted zone`,
      );
    if (v.zoneId !== z.zoneId) {
      throw new Error(
        `zone ${z.zoneId} (${z.name}) is not associated with ${vpc}; associate it, or give that VPC's zone`,
      );
    }
    return z;
  });
  return {
    zoneId: checked.zoneId,
    zoneArn: checked.arn,
    zoneName: checked.name.apply(canonicalName),
  };
}

/**
 * The name of an ECS cluster from its ARN, for what needs the name (the reconciler's cluster list).
 *
 * @example clusterNameFromArn("arn:aws:ecs:eu-west-1:123456789012:cluster/platform") // "platform"
 */
export function clusterNameFromArn(arn: string): string {
  const name = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/([A-Za-z0-9_-]{1,255})$/.exec(arn)?.[1];
  if (name === undefined) throw new Error(`not an ECS cluster ARN: "${arn}"`);
  return name;
}
