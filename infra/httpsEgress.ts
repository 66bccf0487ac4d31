import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

/**
 * A security group's egress on HTTPS to anywhere: the AWS APIs (and ECR, CloudWatch Logs, SSM) have no fixed
 * addresses, so tasks and functions in private subnets reach them through the NAT. DNS to the VPC resolver is
 * not subject to security groups, so it needs no rule. `description` says what the group's members call.
 */
export function httpsEgress(
  resourceName: string,
  securityGroupId: pulumi.Input<string>,
  description: string,
  parent: pulumi.Resource,
): aws.vpc.SecurityGroupEgressRule {
  return new aws.vpc.SecurityGroupEgressRule(
    resourceName,
    { securityGroupId, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0", description },
    { parent },
  );
}
