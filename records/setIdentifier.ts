// SetIdentifiers: the ownership mark on every record set we write. Deterministic from the container, at
// most 128 characters (Route53's limit), naming the deployment that wrote it, the owning host, and the ECS
// task id when there is one, so the reconciler can judge a record from the record alone. Anything that does
// not parse is not ours.
//
// Two versions are read. `ecssd2` names its deployment (ECSSD_DEPLOYMENT: a stack, a cluster), so several
// deployments can share one zone and each touches only its own sets. `ecssd1`, written before deployments
// had names and still written by a component without ECSSD_DEPLOYMENT, is unattributed: its identity has no
// `deployment`, and who may act on it is decided by `ownedBy` (see docs/deploy.md, finding 3).
//
// The length budget, at the longest parts (deployment 10, host id 53, task id 36, port 5):
//   ecssd2:<deployment>:<hostId>:<container id>:<port>:<taskId>
//   6 + 10 + 53 + 5 + 36 + 5 separators = 115, which leaves 13 characters of the container id.
// So the container id keeps 24 hex characters (96 bits) when the rest leaves room, and what room there is
// otherwise, never fewer than 13 (52 bits, still unique among the containers of one host); an EC2 instance
// id (19 characters) always leaves room for 24. The length depends only on the parts, so it stays
// deterministic.

import { type Problem, problem } from "./problems";
import { checkHostId } from "./zone";

const PREFIX = "ecssd1";
/** Record sets of awsvpc tasks, written by the registrar: owned by the task, not by any host. */
const TASK_PREFIX = "ecssd1task";
/** The versions that name their deployment. */
const PREFIX_2 = "ecssd2";
const TASK_PREFIX_2 = "ecssd2task";
/** Characters of the Docker container id kept when there is room: 96 bits, unique on any host. */
export const CONTAINER_ID_LENGTH = 24;
const CONTAINER_ID = /^[0-9a-f]{12,64}$/;
const TASK_ID = /^[A-Za-z0-9-]{1,36}$/;
const MAX_SET_IDENTIFIER = 128;
/** A deployment's mark is at most this long: see the length budget above. */
export const MAX_DEPLOYMENT_LENGTH = 10;
const DEPLOYMENT = /^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/;

/** Checks a deployment's mark: one DNS label of at most 10 characters (lower-case a-z, 0-9 and "-"). */
export function checkDeployment(deployment: string): Problem | undefined {
  if (DEPLOYMENT.test(deployment)) return undefined;
  return problem(
    "invalid-deployment",
    deployment,
    `deployment "${deployment}" must be 1 to ${MAX_DEPLOYMENT_LENGTH} characters of lower-case a-z, 0-9 and "-", not starting or ending with "-"`,
  );
}

/**
 * The deployment mark of a stack or cluster name: the name itself when it is already a mark (lower-cased),
 * else up to 3 of its letters and digits, "-", and 6 base-36 digits of a hash of the whole name. The same
 * name always gives the same mark; two names share one only by a hash collision (about 1 in 2 billion).
 */
export function deploymentFromName(name: string): string {
  const lower = name.toLowerCase();
  if (DEPLOYMENT.test(lower)) return lower;
  // FNV-1a, 32 bits: pure, no dependency, and the same in every runtime.
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(name)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  const head = lower.replace(/[^a-z0-9]/g, "").slice(0, 3);
  const tail = hash.toString(36).padStart(7, "0").slice(-6);
  return head === "" ? `d-${tail}` : `${head}-${tail}`;
}

/**
 * Which record sets a component treats as its own deployment's. `deployment` unset: the component runs as
 * before deployments had names, writes `ecssd1` sets and owns only those. `claimUnattributed`: this
 * deployment also owns `ecssd1` sets (a zone that only ever served this one deployment).
 */
export interface DeploymentScope {
  readonly deployment?: string;
  readonly claimUnattributed?: boolean;
}

/** True when a parsed identity is of the scope's deployment (see {@link DeploymentScope}). */
export function ownedBy(identity: OwnedIdentity | undefined, scope: DeploymentScope): boolean {
  if (identity === undefined) return false;
  if (identity.deployment === scope.deployment) return true;
  return identity.deployment === undefined && scope.claimUnattributed === true;
}

/** Who wrote a set: the deployment its SetIdentifier names; absent for an unattributed (`ecssd1`) one. */
interface Attribution {
  deployment?: string;
}

export type OwnedIdentity = Attribution &
  (
    | { kind: "host"; hostId: string }
    | { kind: "instance"; hostId: string; containerId: string; containerPort: number; taskId?: string }
    /** The A record of an awsvpc task, `<taskId>.<zone>` → its ENI address. Written by the registrar. */
    | { kind: "task"; taskId: string }
    /** The SRV record of one declared port of an awsvpc task. Written by the registrar. */
    | { kind: "task-instance"; taskId: string; containerPort: number }
  );

/** The host whose agent owns record sets of this identity; undefined for a task's (the registrar's). */
export function hostOf(identity: OwnedIdentity | undefined): string | undefined {
  return identity?.kind === "host" || identity?.kind === "instance" ? identity.hostId : undefined;
}

/**
 * True when an agent on `host` owns the set: its SetIdentifier names that host, and its deployment or none.
 * An unattributed set of its own host is provably its host's, so the agent takes it over and rewrites it
 * with its mark; another deployment's set is never its own, even under the same host id.
 */
export function ownedByHost(
  identity: OwnedIdentity | undefined,
  host: { readonly hostId: string; readonly deployment?: string | undefined },
): boolean {
  return (
    hostOf(identity) === host.hostId &&
    ownedBy(identity, {
      ...(host.deployment !== undefined && { deployment: host.deployment }),
      claimUnattributed: true,
    })
  );
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
  /** The deployment that writes it (ECSSD_DEPLOYMENT); unset: the unattributed `ecssd1` form. */
  deployment?: string;
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

function deploymentProblems(deployment: string | undefined): Problem[] {
  const p = deployment === undefined ? undefined : checkDeployment(deployment);
  return p ? [p] : [];
}

/** The leading parts: `ecssd2:<deployment>` (or the task form), or the unattributed `ecssd1`. */
function head(deployment: string | undefined, task: boolean): string[] {
  if (deployment === undefined) return [task ? TASK_PREFIX : PREFIX];
  return [task ? TASK_PREFIX_2 : PREFIX_2, deployment];
}

/**
 * `ecssd2:<deployment>:<hostId>` (or, without a deployment, `ecssd1:<hostId>`): the SetIdentifier of a
 * host's A record. Throws for a deployment no reader would take back (the settings refuse it first).
 */
export function hostSetIdentifier(hostId: string, deployment?: string): string {
  const problems = deploymentProblems(deployment);
  if (problems.length > 0) throw new Error(problems.map((p) => p.message).join("; "));
  return [...head(deployment, false), hostId].join(":");
}

/**
 * `ecssd2:<deployment>:<hostId>:<container id, 13 to 24 hex>:<containerPort>[:<taskId>]` (or, without a
 * deployment, `ecssd1:<hostId>:<container id, 24 hex>:<containerPort>[:<taskId>]`), or the problems with
 * the parts.
 */
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
  problems.push(...deploymentProblems(id.deployment));
  if (problems.length > 0) return { problems };
  const before = [...head(id.deployment, false), id.hostId];
  const after = [String(id.containerPort), ...(id.taskId ? [id.taskId] : [])];
  // ecssd1: at most 6 + 53 + 24 + 5 + 36 + 4 separators = 128. ecssd2: the budget at the top of this file.
  // Everything but the container id, with the separator the id adds.
  const rest = [...before, ...after].join(":").length + 1;
  const kept = Math.min(CONTAINER_ID_LENGTH, MAX_SET_IDENTIFIER - rest);
  const setIdentifier = [...before, id.containerId.slice(0, kept), ...after].join(":");
  return { setIdentifier };
}

/**
 * `ecssd2task:<deployment>:<taskId>` (the task's A record) or `ecssd2task:<deployment>:<taskId>:<containerPort>`
 * (one declared port); without a deployment, `ecssd1task:<taskId>[:<containerPort>]`; or the problems with
 * the parts. A task id is at most 36 characters, so these stay far within 128.
 */
export function taskSetIdentifier(
  taskId: string,
  containerPort?: number,
  deployment?: string,
): { setIdentifier: string } | { problems: Problem[] } {
  const problems = [
    taskIdProblem(taskId),
    containerPort === undefined ? undefined : containerPortProblem(containerPort),
    ...deploymentProblems(deployment),
  ].filter((p): p is Problem => p !== undefined);
  if (problems.length > 0) return { problems };
  const parts = [...head(deployment, true), taskId];
  if (containerPort !== undefined) parts.push(String(containerPort));
  return { setIdentifier: parts.join(":") };
}

/**
 * Reads a SetIdentifier back, of either version; `undefined` means "not written by us", and such records are
 * never touched. An `ecssd2` identity carries its `deployment`; an `ecssd1` one has none.
 */
export function parseSetIdentifier(setIdentifier: string | undefined): OwnedIdentity | undefined {
  if (!setIdentifier || setIdentifier.length > MAX_SET_IDENTIFIER) return undefined;
  const [first = "", ...rest] = setIdentifier.split(":");
  if (first === TASK_PREFIX) return parseTaskIdentity(rest);
  if (first === PREFIX) return parseHostIdentity(rest);
  if (first !== PREFIX_2 && first !== TASK_PREFIX_2) return undefined;
  const [deployment = "", ...parts] = rest;
  if (checkDeployment(deployment)) return undefined;
  const identity = first === TASK_PREFIX_2 ? parseTaskIdentity(parts) : parseHostIdentity(parts);
  return identity && { ...identity, deployment };
}

/** `<hostId>[:<container id>:<port>[:<taskId>]]`, the parts after the prefix (and deployment). */
function parseHostIdentity(parts: string[]): OwnedIdentity | undefined {
  const hostId = parts[0] ?? "";
  if (checkHostId(hostId)) return undefined;
  if (parts.length === 1) return { kind: "host", hostId };
  if (parts.length !== 3 && parts.length !== 4) return undefined;
  const [, containerId = "", portText = "", taskId] = parts;
  if (!/^[0-9a-f]{12,24}$/.test(containerId)) return undefined;
  if (!/^[1-9][0-9]{0,4}$/.test(portText) || Number(portText) > 65535) return undefined;
  if (taskId !== undefined && !TASK_ID.test(taskId)) return undefined;
  const identity: OwnedIdentity = { kind: "instance", hostId, containerId, containerPort: Number(portText) };
  if (taskId !== undefined) identity.taskId = taskId;
  return identity;
}

/** `<taskId>[:<port>]`, the parts after the prefix (and deployment). */
function parseTaskIdentity(parts: string[]): OwnedIdentity | undefined {
  const [taskId = "", portText] = parts;
  if (parts.length > 2 || !TASK_ID.test(taskId)) return undefined;
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

/**
 * A cluster's name from its name or ARN (`arn:aws:ecs:region:account:cluster/NAME`): the part after the last `/`
 * of an ARN, anything else as it is. The metrics' Cluster dimension is the name, whichever of the two was given.
 */
export function clusterName(nameOrArn: string): string {
  return nameOrArn.includes(":cluster/") ? nameOrArn.slice(nameOrArn.lastIndexOf("/") + 1) : nameOrArn;
}

/** True when the container id (full or short) is the one a parsed identity names. */
export function sameContainer(identity: { containerId: string }, containerId: string): boolean {
  return containerId.startsWith(identity.containerId) || identity.containerId.startsWith(containerId);
}
