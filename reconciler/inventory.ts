// The inventory port the core owns: what the reconciler believes is alive. ecsInventory.ts implements it on
// AWS, dockerInventory.ts in the local stack; the core never sees an SDK or dockerode type.

/** A running ECS task, as far as the reconciler cares. */
export interface LiveTask {
  /** The task id (last part of the ARN), as carried in SetIdentifiers. */
  readonly taskId: string;
  readonly taskArn: string;
  /** The cluster ARN or name the task runs in; StopTask needs it. */
  readonly cluster: string;
  /** The host (EC2 instance id) the task runs on, when known. */
  readonly hostId?: string;
  /** Its task definition's family, which service ownership (ECSSD_SERVICE_OWNERS) is judged by. */
  readonly family?: string;
  /** Its task definition's ARN, for readers of what it declares (`ecssd status`). */
  readonly taskDefinitionArn?: string;
  /** When ECS says it started (or, before that, was created); unknown when ECS does not say. */
  readonly startedAt?: Date;
  /**
   * The Docker ids of the task's containers, when ECS reported one for every container. Undefined when
   * any is unknown (a container not started yet), so that a record is never judged on partial facts.
   */
  readonly containerIds?: readonly string[];
  /** The private IPv4 address of its ENI: an awsvpc task, which publishes there and on no host's ports. */
  readonly eniAddress?: string;
  /**
   * True when ListTasks returned it but DescribeTasks did not describe it: all that is known is that it runs.
   * Its records are kept and judged on nothing else (not its family, not its ports).
   */
  readonly undescribed?: boolean;
}

/**
 * What one running container publishes, as its inventory reports it: ECS's network bindings of the
 * container, or Docker's port bindings. The reconciler believes this, not the zone, before it acts on a task.
 */
export interface PublishedPorts {
  /** Host ports by `<containerPort>/<protocol>` (`"8080/tcp"`). */
  readonly bindings: ReadonlyMap<string, ReadonlySet<number>>;
  /** Port ranges bound as a whole (ECS's `containerPortRange`): which host port each port got is not said. */
  readonly ranges: readonly PortRangeBinding[];
  /** Host network mode (Docker says so): every container port is published on the host as itself. */
  readonly hostNetwork: boolean;
}

/** A range of container ports bound to a range of host ports, inclusive bounds. */
export interface PortRangeBinding {
  readonly container: readonly [number, number];
  readonly host: readonly [number, number];
  readonly protocol: string;
}

/** One consistent look at what is alive. */
export interface InventorySnapshot {
  /** Host ids (EC2 instance ids on AWS) whose records may live. */
  readonly hosts: ReadonlySet<string>;
  /**
   * Running tasks by task id. Undefined when the inventory has no notion of tasks (Docker): records that
   * carry a task id are then judged by their container.
   */
  readonly tasks?: ReadonlyMap<string, LiveTask>;
  /**
   * Full ids of running containers, for inventories that see every container on their hosts (Docker).
   * Undefined when they cannot (ECS sees only containers of tasks): a record without a task id is then
   * judged by its host alone.
   */
  readonly containers?: ReadonlySet<string>;
  /**
   * What each running container publishes, by its full Docker id, for the containers whose ports the
   * inventory knows (ECS: running containers of described tasks; Docker: every running container). A
   * container absent here is evidence of nothing.
   */
  readonly published?: ReadonlyMap<string, PublishedPorts>;
  /** Counts for the summary, e.g. `{ clusters: 5, containerInstances: 40, tasks: 5000 }`. */
  readonly counts: Readonly<Record<string, number>>;
}

/** Where the truth about running containers comes from. */
export interface Inventory {
  /** `"ecs"` or `"docker"`, for the summary. */
  readonly kind: string;
  /** Reads everything alive. Throws rather than return a partial picture. */
  snapshot(): Promise<InventorySnapshot>;
}
