// SetIdentifiers: the ownership mark on every record set we write. Deterministic from the container, at
// most 128 characters (Route53's limit), naming the owning host and carrying the ECS task id when there is
// one, so the reconciler can judge a record from the record alone. Anything that does not parse is not ours.

import { type Problem, problem } from "./problems";
import { checkHostId } from "./zone";

const PREFIX = "ecssd1";
/** Record sets of awsvpc tasks, written by the registrar: owned by the task, not by any host. */
const TASK_PREFIX = "ecssd1task";
/** Characters of the Docker container id kept: 96 bits, unique on any host, short enough for 128. */
export const CONTAINER_ID_LENGTH = 24;
const CONTAINER_ID = /^[0-9a-f]{12,64}$/;
const TASK_ID = /^[A-Za-z0-9-]{1,36}$/;
const MAX_SET_IDENTIFIER = 128;

export type OwnedIdentity =
  | { kind: "host"; hostId: string }
  | { kind: "instance"; hostId: string; containerId: string; containerPort: number; taskId?: string }
  /** The A record of an awsvpc task, `<taskId>.<zone>` → its ENI address. Written by the registrar. */
  | { kind: "task"; taskId: string }
  /** The SRV record of one declared port of an awsvpc task. Written by the registrar. */
  | { kind: "task-instance"; taskId: string; containerPort: number };

/** The host whose agent owns record sets of this identity; undefined for a task's (the registrar's). */
export function hostOf(identity: OwnedIdentity | undefined): string | undefined {
  return identity?.kind === "host" || identity?.kind === "instance" ? identity.hostId : undefined;
}

/** Who writes (and alone changes) record sets of this identity; the agent, the registrar and status say so. */
export function ownerOf(identity: OwnedIdentity): "agent" | "registrar" {
  return identity.kind === "task" || identity.kind === "task-instance" ? "registrar" : "agent";
}

export interface InstanceIdentity {
  hostId: string;
  /** Docker container id, 12 to 64 lower-case hex characters (a 12-character short id is accepted). */
  containerId: string;
  containerPort: number;
  /** ECS task id (the last part of the task ARN), when the container belongs to a task. */
  taskId?: string;
}

function containerPortProblem(port: number): Problem | undefined {
  if (Number.isInteger(port) && port >= 1 && port <= 65535) return undefined;
  return problem("invalid-port", String(port), "container port must be an integer from 1 to 65535");
}

function taskIdProblem(taskId: string): Problem | undefined {
  if (TASK_ID.test(taskId)) return undefined;
  return problem(
    "invalid-task-id",
    taskId,
    'ECS task id must be 1 to 36 characters of A-Z, a-z, 0-9 and "-"',
  );
}

/** `ecssd1:<hostId>`: the SetIdentifier of a host's A record. */
export function hostSetIdentifier(hostId: string): string {
  return `${PREFIX}:${hostId}`;
}

/** `ecssd1:<hostId>:<container id, 24 hex>:<containerPort>[:<taskId>]`, or the problems with the parts. */
export function instanceSetIdentifier(
  id: InstanceIdentity,
): { setIdentifier: string } | { problems: Problem[] } {
  const problems: Problem[] = [];
  const hostProblem = checkHostId(id.hostId);
  if (hostProblem) problems.push(hostProblem);
  if (!CONTAINER_ID.test(id.containerId)) {
    problems.push(
      problem(
        "invalid-container-id",
        id.containerId,
        "container id must be 12 to 64 lower-case hexadecimal characters",
      ),
    );
  }
  const portProblem = containerPortProblem(id.containerPort);
  if (portProblem) problems.push(portProblem);
  const taskProblem = id.taskId === undefined ? undefined : taskIdProblem(id.taskId);
  if (taskProblem) problems.push(taskProblem);
  if (problems.length > 0) return { problems };
  const parts = [PREFIX, id.hostId, id.containerId.slice(0, CONTAINER_ID_LENGTH), String(id.containerPort)];
  if (id.taskId) parts.push(id.taskId);
  // At most 6 + 53 + 24 + 5 + 36 + 4 separators = 128 characters, Route53's limit.
  const setIdentifier = parts.join(":");
  return { setIdentifier };
}

/**
 * `ecssd1task:<taskId>` (the task's A record) or `ecssd1task:<taskId>:<containerPort>` (one declared port), or
 * the problems with the parts. A task id is at most 36 characters, so these stay far within 128.
 */
export function taskSetIdentifier(
  taskId: string,
  containerPort?: number,
): { setIdentifier: string } | { problems: Problem[] } {
  const problems = [
    taskIdProblem(taskId),
    containerPort === undefined ? undefined : containerPortProblem(containerPort),
  ].filter((p): p is Problem => p !== undefined);
  if (problems.length > 0) return { problems };
  const parts = [TASK_PREFIX, taskId];
  if (containerPort !== undefined) parts.push(String(containerPort));
  return { setIdentifier: parts.join(":") };
}

/** Reads a SetIdentifier back; `undefined` means "not written by us", and such records are never touched. */
export function parseSetIdentifier(setIdentifier: string | undefined): OwnedIdentity | undefined {
  if (!setIdentifier || setIdentifier.length > MAX_SET_IDENTIFIER) return undefined;
  const parts = setIdentifier.split(":");
  if (parts[0] === TASK_PREFIX) return parseTaskIdentity(parts);
  if (parts[0] !== PREFIX) return undefined;
  const hostId = parts[1] ?? "";
  if (checkHostId(hostId)) return undefined;
  if (parts.length === 2) return { kind: "host", hostId };
  if (parts.length !== 4 && parts.length !== 5) return undefined;
  const [, , containerId = "", portText = "", taskId] = parts;
  if (!/^[0-9a-f]{12,24}$/.test(containerId)) return undefined;
  if (!/^[1-9][0-9]{0,4}$/.test(portText) || Number(portText) > 65535) return undefined;
  if (taskId !== undefined && !TASK_ID.test(taskId)) return undefined;
  const identity: OwnedIdentity = { kind: "instance", hostId, containerId, containerPort: Number(portText) };
  if (taskId !== undefined) identity.taskId = taskId;
  return identity;
}

function parseTaskIdentity(parts: string[]): OwnedIdentity | undefined {
  const [, taskId = "", portText] = parts;
  if (parts.length > 3 || !TASK_ID.test(taskId)) return undefined;
  if (portText === undefined) return { kind: "task", taskId };
  if (!/^[1-9][0-9]{0,4}$/.test(portText) || Number(portText) > 65535) return undefined;
  return { kind: "task-instance", taskId, containerPort: Number(portText) };
}

/**
 * The task id of an ECS task ARN: `arn:aws:ecs:<region>:<account>:task/<cluster>/<id>` (or the older
 * `task/<id>`). Returns undefined for anything else.
 */
export function taskIdFromArn(arn: string | undefined): string | undefined {
  if (!arn) return undefined;
  const m = /^arn:aws[a-z-]*:ecs:[^:]*:[0-9]*:task\/(?:[^/]+\/)?([^/]+)$/.exec(arn);
  const id = m?.[1];
  return id && TASK_ID.test(id) ? id : undefined;
}

/**
 * The family of an ECS task definition ARN: `arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>`.
 * Returns undefined for anything else. Service ownership is judged by it (serviceOwners.ts).
 */
export function familyFromTaskDefinitionArn(arn: string | undefined): string | undefined {
  if (!arn) return undefined;
  return /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/([A-Za-z0-9_-]{1,255}):\d+$/.exec(arn)?.[1];
}

/** True when the container id (full or short) is the one a parsed identity names. */
export function sameContainer(identity: { containerId: string }, containerId: string): boolean {
  return containerId.startsWith(identity.containerId) || identity.containerId.startsWith(containerId);
}
