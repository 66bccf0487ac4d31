import type * as pulumi from "@pulumi/pulumi";

/**
 * What every Fargate task definition of ours has besides its family, roles and containers: awsvpc networking and
 * Fargate's smallest size (Fargate sizes a task as a whole, and each of ours holds one small container), on Linux
 * for the image's CPU architecture.
 */
export function smallestFargateTask(cpuArchitecture: pulumi.Input<"ARM64" | "X86_64">) {
  return {
    networkMode: "awsvpc",
    requiresCompatibilities: ["FARGATE"],
    cpu: "256",
    memory: "512",
    runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture },
  };
}
