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
