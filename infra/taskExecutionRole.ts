import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { managedPolicyArn, partitionForRegion } from "./awsPartition";
import { serviceTrustPolicy } from "./trustPolicy";

/**
 * The role a task's containers act as (only ECS tasks, for this stack, may assume it), named `${name}-task-role`
 * under `parent`; the caller grants it what its containers need.
 */
export function taskRole(
  name: string,
  region: string,
  description: string,
  parent: pulumi.Resource,
): aws.iam.Role {
  return new aws.iam.Role(
    `${name}-task-role`,
    { assumeRolePolicy: serviceTrustPolicy("ecs-tasks.amazonaws.com", region, parent), description },
    { parent },
  );
}

/**
 * The role ECS itself uses for a task (pull its image, ship its logs), with AWS's managed policy for that.
 * Children are named `${name}-execution-role` and `${name}-execution-policy` under `parent`.
 */
export function taskExecutionRole(
  name: string,
  region: string,
  description: string,
  parent: pulumi.Resource,
): aws.iam.Role {
  const role = new aws.iam.Role(
    `${name}-execution-role`,
    { assumeRolePolicy: serviceTrustPolicy("ecs-tasks.amazonaws.com", region, parent), description },
    { parent },
  );
  new aws.iam.RolePolicyAttachment(
    `${name}-execution-policy`,
    {
      role: role.name,
      policyArn: managedPolicyArn(
        partitionForRegion(region),
        "service-role/AmazonECSTaskExecutionRolePolicy",
      ),
    },
    { parent },
  );
  return role;
}
