import { type PolicyDocument, parseClusterArn } from "./policies";

/**
 * What the ECS container agent on our instances needs, scoped to our cluster: AWS's
 * AmazonEC2ContainerServiceforEC2Role minus what these instances never do.
 * - No `ecs:CreateCluster`: the user data names the cluster (ECS_CLUSTER), so the agent never makes `default`.
 * - No `ecr:*` and no `logs:*`: every task on the cluster (the agent's, the examples') has a task execution
 *   role, and the ECS agent pulls images and hands the awslogs driver credentials from that role; the
 *   instance role would serve only tasks without one, and this cluster runs none.
 * - No `ecs:TagResource` or `ec2:DescribeTags`: no container instance tags are set or propagated.
 * - `ecs:Submit*` is spelled out: a wildcard would also grant whatever Submit action AWS adds next.
 */
export function instanceRolePolicy(clusterArn: string): PolicyDocument {
  const cluster = parseClusterArn(clusterArn);
  return {
    Version: "2012-10-17",
    Statement: [
      // Joining and leaving the cluster, and reporting task and container state, authorise on the cluster.
      {
        Sid: "MemberOfOwnCluster",
        Effect: "Allow",
        Action: [
          "ecs:RegisterContainerInstance",
          "ecs:DeregisterContainerInstance",
          "ecs:SubmitAttachmentStateChanges",
          "ecs:SubmitContainerStateChange",
          "ecs:SubmitTaskStateChange",
        ],
        Resource: clusterArn,
      },
      // Receiving work, sending metrics and draining authorise on the container instance, within the cluster.
      {
        Sid: "ActAsOwnContainerInstance",
        Effect: "Allow",
        Action: ["ecs:Poll", "ecs:StartTelemetrySession", "ecs:UpdateContainerInstancesState"],
        Resource: `${cluster.prefix}:container-instance/${cluster.name}/*`,
        Condition: { ArnEquals: { "ecs:cluster": clusterArn } },
      },
      // Finding the endpoint to poll names no resource: AWS authorises it on "*" only.
      { Sid: "FindPollEndpoint", Effect: "Allow", Action: "ecs:DiscoverPollEndpoint", Resource: "*" },
    ],
  };
}
