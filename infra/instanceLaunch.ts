/** CPU architecture of an EC2 instance type, which picks both the AMI and the image platform. */
export type Architecture = "x86_64" | "arm64";

/**
 * The architecture of an EC2 instance type: Graviton families carry a "g" after the generation
 * digit (t4g, m7gd, c6gn, im4gn), and a1 is the first Graviton; every other family is x86_64.
 *
 * @example instanceArchitecture("t4g.small") // "arm64"
 */
export function instanceArchitecture(instanceType: string): Architecture {
  const family = instanceType.split(".")[0] ?? "";
  if (family === "a1") return "arm64";
  const match = /^[a-z]+\d+([a-z-]*)$/.exec(family);
  return match?.[1]?.includes("g") ? "arm64" : "x86_64";
}

/** The public SSM parameter holding the current ECS-optimized Amazon Linux 2023 AMI id. */
export function ecsAmiParameterName(architecture: Architecture): string {
  return architecture === "arm64"
    ? "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
    : "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id";
}

/** The Docker platform images must be built for to run on `architecture`. */
export function imagePlatform(architecture: Architecture): "linux/amd64" | "linux/arm64" {
  return architecture === "arm64" ? "linux/arm64" : "linux/amd64";
}

/**
 * The rule that keeps containers on Docker's bridge networks away from the instance metadata service, and with
 * it from the instance role's credentials (AWS's "prevent containers from accessing Amazon EC2 instance
 * metadata in Amazon ECS"). It matches every forwarded packet to the service, not only those from docker0:
 * a user-defined bridge network (br-*) is one hop away too. Host-network containers share the host's stack and
 * are never forwarded, so no rule here (nor the hop limit) can keep them out: see docs/deploy.md.
 */
export const BLOCK_IMDS_RULE = "DOCKER-USER --destination 169.254.169.254/32 --jump DROP";

/** Inserts {@link BLOCK_IMDS_RULE} at the top of DOCKER-USER unless it is there already (idempotent). */
const blockImdsCommand = `iptables -w -C ${BLOCK_IMDS_RULE} 2>/dev/null || iptables -w --insert ${BLOCK_IMDS_RULE.replace("DOCKER-USER", "DOCKER-USER 1")}`;

/**
 * The user data that makes an instance join `clusterName` and keeps containers away from the instance role:
 * - Task IAM roles for bridge and host network modes: the agent runs in host mode and takes its credentials
 *   from its own task role, never the instance role.
 * - awsvpc tasks: ECS_AWSVPC_BLOCK_IMDS, the ECS agent's own switch.
 * - bridge tasks: {@link BLOCK_IMDS_RULE}, applied each time Docker starts (a drop-in of docker.service, so it
 *   holds across restarts and reboots; Docker creates DOCKER-USER and leaves its rules alone), and at once
 *   when Docker already runs. The launch template's IMDSv2-only, hop-limit-1 options (cluster.ts) stop them
 *   too; this does not rest on one of the two.
 *
 * @example ecsUserData("ecssd-cluster-1a2b3c")
 */
export function ecsUserData(clusterName: string): string {
  // ECS cluster names are letters, digits, hyphens and underscores: nothing the shell interprets.
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(clusterName)) {
    throw new Error(`ecsUserData: invalid ECS cluster name "${clusterName}"`);
  }
  return [
    "#!/bin/bash",
    "cat >> /etc/ecs/ecs.config <<'EOF'",
    `ECS_CLUSTER=${clusterName}`,
    "ECS_ENABLE_TASK_IAM_ROLE=true",
    "ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST=true",
    "ECS_AWSVPC_BLOCK_IMDS=true",
    "ECS_CONTAINER_STOP_TIMEOUT=30s",
    "EOF",
    "mkdir -p /etc/systemd/system/docker.service.d",
    "cat > /etc/systemd/system/docker.service.d/ecssd-block-imds.conf <<'EOF'",
    "[Service]",
    `ExecStartPost=/bin/sh -c '${blockImdsCommand}'`,
    "EOF",
    "systemctl daemon-reload",
    `if systemctl is-active --quiet docker; then ${blockImdsCommand}; fi`,
    "",
  ].join("\n");
}
