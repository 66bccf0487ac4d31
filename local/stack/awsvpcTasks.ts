// The local stack's awsvpc tasks: the Fargate variant of an example (the container definition the Pulumi
// program computes for it) run as ECS runs an awsvpc task on EC2. A pause container holds the task's network
// namespace and its address — here a loopback address of its own, the "ENI IP", on which it publishes the
// container port — and the app container joins that namespace (NetworkMode container:<pause>), so the agent
// leaves it alone. The task's Docker lifecycle becomes ECS Task State Change events, shaped as AWS documents
// them, and each is applied by the registrar's own code; the task is described from Docker, as DescribeTasks
// would describe it.
import type Docker from "dockerode";
import { classifyEvent } from "../../agent/containerEvents";
import type { ContainerEvent, EventSubscription } from "../../agent/containerSource";
import { ECS_FAMILY_LABEL, ECS_TASK_ARN_LABEL } from "../../agent/desiredState";
import { DockerSource } from "../../agent/dockerSource";
import type { ContainerDefinition } from "../../infra/containerDefinitions";
import type { EventResult } from "../../registrar/registrar";
import {
  applyTaskEvent,
  type RegistrarSettings,
  type TaskSource,
  type TaskZone,
} from "../../registrar/registrar";
import type { DescribedTask } from "../../registrar/taskAction";
import type { TaskDefinitionShape } from "../../registrar/taskDeclarations";
import type { TaskStatus } from "../../registrar/taskStateChange";
import { containerDefinitionToDocker } from "./containerDefinitionToDocker";
import type { StackContainers } from "./stackContainers";
import { STACK_LABEL } from "./stackServices";

const ACCOUNT = "000000000000";
const REGION = "us-east-1";
/** The cluster the local stack's tasks belong to. */
export const LOCAL_CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/local`;
/** Marks an awsvpc task's containers with the task's address. */
export const AWSVPC_ADDRESS_LABEL = "ecssd.awsvpc-address";

export interface LocalAwsvpcTask {
  readonly taskId: string;
  readonly taskArn: string;
  readonly family: string;
  /** The task's "ENI" address: a loopback address of its own. */
  readonly address: string;
  /** The app container's name. */
  readonly name: string;
}

interface TaskState {
  task: LocalAwsvpcTask;
  /** The container's name in the task definition, as ECS names it in the event's `containers`. */
  containerName: string;
  definitionArn: string;
  /** ECS's version: one more at every change of the task. */
  version: number;
  /** Set when the stack (or Docker) began to stop it: ECS's desiredStatus STOPPED. */
  stopping: boolean;
  hasHealthCheck: boolean;
}

/** A 32-hex task id, as ECS gives new tasks. */
export function newTaskId(): string {
  return Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16)).join("");
}

/** The ARN of a local task, in the cluster of {@link LOCAL_CLUSTER_ARN}. */
export function localTaskArn(taskId: string): string {
  return `arn:aws:ecs:${REGION}:${ACCOUNT}:task/local/${taskId}`;
}

export interface AwsvpcTaskOptions {
  docker: Docker;
  containers: StackContainers;
  zone: TaskZone;
  settings: Omit<RegistrarSettings, "clusters">;
  /**
   * Applies one event with `apply` (the registrar's code over this source and zone) and logs it: the stack
   * passes the registrar's own applyLogged, so the local log reads like the Lambda's.
   */
  log: (event: unknown, apply: (event: unknown) => Promise<EventResult>) => Promise<void>;
}

/** Runs awsvpc tasks on the local engine and keeps their records through the registrar's code. */
export class LocalAwsvpcTasks implements TaskSource {
  private readonly tasks = new Map<string, TaskState>();
  /** The same tasks by their app container's id, as Docker's events name them. */
  private readonly byContainerId = new Map<string, TaskState>();
  private readonly definitions = new Map<string, TaskDefinitionShape>();
  private events: EventSubscription | undefined;
  /** Events are applied one at a time, in the order Docker reported them, as one task's events would be. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly opts: AwsvpcTaskOptions) {}

  /**
   * Follows Docker's events, read and classified as the agent reads them (dockerSource.ts, containerEvents.ts),
   * for the stack's awsvpc tasks; call once before starting any.
   */
  async watch(): Promise<void> {
    this.events = await new DockerSource({ docker: this.opts.docker }).subscribe(
      (event) => this.onDockerEvent(event),
      () => undefined,
    );
  }

  /** Starts one awsvpc task of `definition` (its Fargate container definition) at `address`. */
  async start(
    definition: ContainerDefinition,
    family: string,
    address: string,
    name: string,
    secretValues: Readonly<Record<string, string>>,
  ): Promise<LocalAwsvpcTask> {
    const taskId = newTaskId();
    const taskArn = localTaskArn(taskId);
    const definitionArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:1`;
    this.definitions.set(definitionArn, {
      taskDefinitionArn: definitionArn,
      family,
      networkMode: "awsvpc",
      containerDefinitions: [
        {
          name: definition.name,
          environment: definition.environment.map((e) => ({ name: e.name, value: e.value })),
          ...(definition.dockerLabels && { dockerLabels: { ...definition.dockerLabels } }),
          ...(definition.healthCheck && { healthCheck: { command: [...definition.healthCheck.command] } }),
        },
      ],
    });
    const task: LocalAwsvpcTask = { taskId, taskArn, family, address, name };
    const state: TaskState = {
      task,
      containerName: definition.name,
      definitionArn,
      version: 1,
      stopping: false,
      hasHealthCheck: definition.healthCheck !== undefined,
    };
    this.tasks.set(name, state);
    const labels = {
      [STACK_LABEL]: this.opts.containers.stackName,
      [ECS_TASK_ARN_LABEL]: taskArn,
      [ECS_FAMILY_LABEL]: family,
      [AWSVPC_ADDRESS_LABEL]: address,
    };
    // The pause container: the task's network namespace, publishing each container port on the task's address.
    const ports = (definition.portMappings ?? []).map((m) => `${m.containerPort}/${m.protocol}`);
    const pause = await this.opts.containers.start({
      name: `${name}-pause`,
      Image: definition.image,
      Entrypoint: ["node"],
      Cmd: ["-e", "setInterval(() => {}, 1 << 30)"],
      Labels: labels,
      ExposedPorts: Object.fromEntries(ports.map((p) => [p, {}])),
      HostConfig: {
        NetworkMode: "bridge",
        PortBindings: Object.fromEntries(
          ports.map((p) => [p, [{ HostIp: address, HostPort: p.split("/")[0] as string }]]),
        ),
      },
    });
    const app = await this.opts.containers.start(
      containerDefinitionToDocker(definition, {
        name,
        secretValues,
        labels,
        networkMode: `container:${pause.id}`,
      }),
    );
    this.byContainerId.set(app.id, state);
    // Its `start` event may have come before its id was known here: the change is reported from here too.
    void this.change(state, {});
    return task;
  }

  /**
   * Stops a task as ECS does: first the event that says it is to stop (the registrar takes it out of DNS),
   * then SIGTERM with the definition's grace period (the service drains), then removal.
   */
  async stop(name: string, graceSeconds: number): Promise<void> {
    const state = this.tasks.get(name);
    if (!state) return;
    await this.change(state, { stopping: true });
    await this.opts.containers.stop(name, graceSeconds);
    await this.opts.containers.stop(`${name}-pause`, 1);
  }

  /** The stack's awsvpc tasks, by app container name. */
  list(): LocalAwsvpcTask[] {
    return [...this.tasks.values()].map((s) => s.task);
  }

  async close(): Promise<void> {
    this.events?.close();
    await this.queue;
  }

  async describeTask(_clusterArn: string, taskArn: string): Promise<DescribedTask> {
    const state = [...this.tasks.values()].find((s) => s.task.taskArn === taskArn);
    if (!state) return "missing";
    const inspected = await this.opts.docker
      .getContainer(state.task.name)
      .inspect()
      .catch(() => undefined);
    if (!inspected) return "missing";
    return this.statusOf(state, inspected);
  }

  async taskDefinition(taskDefinitionArn: string): Promise<TaskDefinitionShape> {
    const found = this.definitions.get(taskDefinitionArn);
    if (!found) throw new Error(`no task definition ${taskDefinitionArn} in the local stack`);
    return found;
  }

  private statusOf(
    state: TaskState,
    inspected: Docker.ContainerInspectInfo,
  ): Exclude<DescribedTask, "missing"> {
    const running = inspected.State?.Running === true;
    const lastStatus: TaskStatus = running
      ? "RUNNING"
      : inspected.State?.Status === "created"
        ? "PENDING"
        : "STOPPED";
    const health = inspected.State?.Health?.Status;
    return {
      version: state.version,
      lastStatus,
      desiredStatus: state.stopping || lastStatus === "STOPPED" ? "STOPPED" : "RUNNING",
      ...(state.hasHealthCheck && {
        healthStatus: health === "healthy" ? "HEALTHY" : health === "unhealthy" ? "UNHEALTHY" : "UNKNOWN",
      }),
      eniAddress: state.task.address,
      taskDefinitionArn: state.definitionArn,
      containerOverrides: [],
    };
  }

  private onDockerEvent(event: ContainerEvent): void {
    const state = this.byContainerId.get(event.id);
    if (!state) return;
    // The first sign of a stop (a terminating signal, stop, the exit) is ECS's decision to stop the task;
    // a start or a health change is a change of the task it would report too.
    const effect = classifyEvent(event);
    if (effect === "stopping") void this.change(state, { stopping: true });
    else if (effect === "refresh" || effect === "withdraw") void this.change(state, {});
  }

  /** One change of the task: a new version, and its event applied by the registrar's code. */
  private change(state: TaskState, update: { stopping?: boolean }): Promise<void> {
    const run = async () => {
      if (update.stopping) {
        if (state.stopping) return; // ECS reports the decision to stop once
        state.stopping = true;
      }
      state.version += 1;
      const described = await this.describeTask(LOCAL_CLUSTER_ARN, state.task.taskArn);
      const event = this.event(state, described);
      const apply = (e: unknown) =>
        applyTaskEvent(
          e,
          { tasks: this, zone: this.opts.zone },
          {
            ...this.opts.settings,
            clusters: [LOCAL_CLUSTER_ARN],
          },
        );
      // A failed event is logged; the next change of the task carries the whole truth again.
      await this.opts.log(event, apply).catch(() => undefined);
    };
    this.queue = this.queue.then(run, run);
    return this.queue;
  }

  /** The EventBridge event ECS would send for this change: its detail is the task as described. */
  private event(state: TaskState, described: DescribedTask): unknown {
    const now =
      described === "missing"
        ? { version: state.version, lastStatus: "STOPPED", desiredStatus: "STOPPED" }
        : described;
    return {
      version: "0",
      id: `${state.task.taskId}-${state.version}`,
      "detail-type": "ECS Task State Change",
      source: "aws.ecs",
      account: ACCOUNT,
      time: new Date().toISOString(),
      region: REGION,
      resources: [state.task.taskArn],
      detail: {
        clusterArn: LOCAL_CLUSTER_ARN,
        taskArn: state.task.taskArn,
        taskDefinitionArn: state.definitionArn,
        group: `service:${state.task.family}`,
        launchType: "FARGATE",
        version: state.version,
        lastStatus: now.lastStatus,
        desiredStatus: now.desiredStatus,
        ...("healthStatus" in now && now.healthStatus !== undefined && { healthStatus: now.healthStatus }),
        attachments: [
          {
            id: `eni-attachment-${state.task.taskId}`,
            type: "eni",
            status: "ATTACHED",
            details: [{ name: "privateIPv4Address", value: state.task.address }],
          },
        ],
        containers: [{ name: state.containerName, lastStatus: now.lastStatus }],
        overrides: { containerOverrides: [] },
      },
    };
  }
}
