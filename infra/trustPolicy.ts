import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { partitionForRegion } from "./awsPartition";
import { assumeRolePolicy } from "./policies";

/**
 * The trust policy (JSON) of a role that `service` assumes for this stack: held to the account the stack deploys
 * into, which is read from AWS (sts GetCallerIdentity) rather than asked of the user.
 */
export function serviceTrustPolicy(
  service: string,
  region: string,
  parent: pulumi.Resource,
): pulumi.Output<string> {
  return aws
    .getCallerIdentityOutput({}, { parent })
    .accountId.apply((account) =>
      JSON.stringify(assumeRolePolicy(service, { account, partition: partitionForRegion(region), region })),
    );
}
