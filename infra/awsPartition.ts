/**
 * The ARN partition of a region: policy and managed-policy ARNs differ in China and GovCloud.
 * Derived from the region so the program needs no lookup call.
 *
 * @example partitionForRegion("cn-north-1") // "aws-cn"
 */
export function partitionForRegion(region: string): "aws" | "aws-cn" | "aws-us-gov" {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** The ARN of an AWS-managed IAM policy, e.g. `service-role/AmazonECSTaskExecutionRolePolicy`. */
export function managedPolicyArn(partition: string, path: string): string {
  return `arn:${partition}:iam::aws:policy/${path}`;
}
