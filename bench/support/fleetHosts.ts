// The fleet's hosts as Docker-shaped data: descriptions the agent inspects and events it receives, as a Docker
// engine would deliver them (the agent's ContainerSource), with a Docker HEALTHCHECK that can flap.
import type { ContainerDescription } from "../../agent/containerSource";
import { SimulatedDocker } from "./simulatedDocker";

export const FLEET_CLUSTER = "fleet";
export const FLEET_ACCOUNT = "123456789012";
export const FLEET_CLUSTER_ARN = `arn:aws:ecs:us-east-1:${FLEET_ACCOUNT}:cluster/${FLEET_CLUSTER}`;

/** One task of the fleet: a bridge task (one container on a host, the agent's) or an awsvpc task (the registrar's). */
export interface FleetTask {
  index: number;
  /** 32 hex characters, as ECS's. */
  taskId: string;
  taskArn: string;
  hostIndex: number;
  awsvpc: boolean;
  /** `_svcN._tcp`: at most a few dozen instances per name (Route53 allows 100 multivalue sets per name). */
  service: string;
  /** Published host port (bridge) or container port (awsvpc). */
  port: number;
  /** The container has a Docker HEALTHCHECK (the flapping ones). */
  healthChecked: boolean;
  /** The ENI address of an awsvpc task. */
  eniAddress: string;
}

export const hostId = (h: number) => `i-0${h.toString(16).padStart(16, "0")}`;
export const taskIdOf = (i: number) => (0xf1ee7000000 + i).toString(16).padStart(32, "0");
const containerIdOf = (i: number) =>
  (BigInt(i + 1) * 0x9e3779b97f4a7c15n).toString(16).padStart(16, "0").repeat(4).slice(0, 64);

export function fleetTask(
  index: number,
  hostIndex: number,
  opts: { awsvpc: boolean; services: number; healthChecked?: boolean },
): FleetTask {
  const taskId = taskIdOf(index);
  return {
    index,
    taskId,
    taskArn: `arn:aws:ecs:us-east-1:${FLEET_ACCOUNT}:task/${FLEET_CLUSTER}/${taskId}`,
    hostIndex,
    awsvpc: opts.awsvpc,
    service: `_svc${index % opts.services}._tcp`,
    port: opts.awsvpc ? 8080 : 32768 + (index % 28000),
    healthChecked: opts.healthChecked ?? false,
    eniAddress: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`,
  };
}

/** What `docker inspect` says about the container of a bridge task publishing 8080. */
export function containerOf(task: FleetTask): ContainerDescription {
  const id = containerIdOf(task.index);
  return {
    Id: id,
    Name: `/ecs-app-${task.index}`,
    Config: {
      Env: [`SERVICE_8080_NAME=${task.service}`],
      Labels: {
        "com.amazonaws.ecs.task-arn": task.taskArn,
        "com.amazonaws.ecs.cluster": FLEET_CLUSTER,
        "com.amazonaws.ecs.container-name": "app",
      },
    },
    State: {
      Running: true,
      Paused: false,
      Restarting: false,
      ...(task.healthChecked && { Health: { Status: "healthy" } }),
    },
    HostConfig: { NetworkMode: "bridge" },
    NetworkSettings: { Ports: { "8080/tcp": [{ HostIp: "0.0.0.0", HostPort: String(task.port) }] } },
  };
}

/** A host's Docker engine as the agent sees it, driven by the fleet's tasks. */
export class FleetDocker extends SimulatedDocker {
  start(task: FleetTask): void {
    this.startContainer(containerOf(task));
  }
  /** ECS stops a task: SIGTERM, then the container dies and is removed. */
  stop(task: FleetTask): void {
    this.stopContainer(containerOf(task).Id, true);
  }
  setHealth(task: FleetTask, healthy: boolean): void {
    this.setContainerHealth(containerOf(task).Id, healthy);
  }
}
