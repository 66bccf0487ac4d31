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
 * The user data that makes an instance join `clusterName`. Task IAM roles are switched on for
 * bridge and host network modes: the agent runs in host mode and must get its own task role,
 * not the instance role.
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
    "ECS_CONTAINER_STOP_TIMEOUT=30s",
    "EOF",
    "",
  ].join("\n");
}
