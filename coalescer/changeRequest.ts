// The coalescer's request bodies read and judged, as pure functions: what a malformed body gets (400, the
// first problem named by its path in the body) and what a host may change (403). The tenancy rule of issue
// 25 holds here because the coalescer writes for every host: a host changes only its own sets (its
// SetIdentifier and deployment), of the kinds an agent writes (its instances, their health markers, its A set
// and the AZ set beside it), named and pointing as an agent names and points them, in the coalescer's zone;
// never another host's, a task's or somebody else's. What it writes is held to the agent's own rules too: no
// service under a host's or task's name, and no more sets per container than a container may publish.
import {
  azIdOf,
  checkDeployment,
  checkHostId,
  hostRecordName,
  isHostOrTaskLabel,
  isWrittenByUs,
  type OwnedIdentity,
  ownedByHost,
  parseDnsName,
  parseSetIdentifier,
  parseSrvValue,
  type RecordSet,
  recordSetKey,
  SRV_NAME,
} from "../records";
import { COALESCER_API_LIMITS } from "./apiContract";
import type { RecordChange } from "./zoneChanges";

/** A request read, or why it is refused: 400 (malformed) or 403 (not the host's to change). */
export type Judged<T> = { readonly ok: T } | { readonly status: 400 | 403; readonly message: string };

export interface ChangeRequest {
  readonly deployment?: string;
  readonly changes: RecordChange[];
}

/** The host a request speaks for, and the zone the coalescer writes. */
export interface Submitter {
  readonly hostId: string;
  readonly zoneName: string;
}

const ACTIONS = ["CREATE", "UPSERT", "DELETE"] as const;
const RECORD_SET_FIELDS = new Set([
  "Name",
  "Type",
  "TTL",
  "SetIdentifier",
  "MultiValueAnswer",
  "Weight",
  "ResourceRecords",
]);
const MAX_TTL = 2_147_483_647;
/** Route53's longest value (a TXT set's strings together). */
const MAX_VALUE_LENGTH = 4_000;

const bad = (message: string) => ({ status: 400 as const, message });
const forbidden = (message: string) => ({ status: 403 as const, message });
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A host id from a path, checked as the agent checks its own. */
export function judgeHostId(hostId: string): Judged<string> {
  const p = checkHostId(hostId);
  return p ? bad(p.message) : { ok: hostId };
}

/** A deployment mark from a query or a body; absent stays absent. */
export function judgeDeployment(deployment: unknown, where: string): Judged<string | undefined> {
  if (deployment === undefined) return { ok: undefined };
  if (typeof deployment !== "string") return bad(`${where} must be a string`);
  const p = checkDeployment(deployment);
  return p ? bad(`${where}: ${p.message}`) : { ok: deployment };
}

/** `{ "names": [...] }`: at most COALESCER_API_LIMITS.namesPerRead DNS names, returned canonical. */
export function judgeReadRequest(body: unknown): Judged<string[]> {
  if (!isObject(body) || !Array.isArray(body.names)) return bad('the body must be { "names": [...] }');
  const { names } = body;
  if (names.length > COALESCER_API_LIMITS.namesPerRead)
    return bad(`names: at most ${COALESCER_API_LIMITS.namesPerRead} per read, not ${names.length}`);
  const out: string[] = [];
  for (const [i, name] of names.entries()) {
    if (typeof name !== "string") return bad(`names[${i}] must be a string`);
    const parsed = parseDnsName(name);
    if ("problem" in parsed) return bad(`names[${i}]: ${parsed.problem.message}`);
    out.push(parsed.name);
  }
  return { ok: out };
}

/**
 * `{ "deployment"?: string, "changes": [{ "action", "recordSet" }] }` from `submitter`: every change well
 * formed (400 otherwise) and the host's own (403 otherwise). Names come back canonical.
 */
export function judgeChangeRequest(body: unknown, submitter: Submitter): Judged<ChangeRequest> {
  if (!isObject(body) || !Array.isArray(body.changes))
    return bad('the body must be { "deployment"?: string, "changes": [{ "action", "recordSet" }] }');
  const deployment = judgeDeployment(body.deployment, "deployment");
  if ("status" in deployment) return deployment;
  const { changes } = body;
  if (changes.length === 0) return bad("changes: at least one change");
  if (changes.length > COALESCER_API_LIMITS.changesPerSubmit)
    return bad(`changes: at most ${COALESCER_API_LIMITS.changesPerSubmit} per submit, not ${changes.length}`);
  const out: RecordChange[] = [];
  for (const [i, change] of changes.entries()) {
    const judged = judgeChange(change, `changes[${i}]`, submitter, deployment.ok);
    if ("status" in judged) return judged;
    out.push(judged.ok);
  }
  return { ok: { ...(deployment.ok !== undefined && { deployment: deployment.ok }), changes: out } };
}

function judgeChange(
  change: unknown,
  where: string,
  submitter: Submitter,
  deployment: string | undefined,
): Judged<RecordChange> {
  if (!isObject(change)) return bad(`${where} must be { "action", "recordSet" }`);
  const { action } = change;
  if (typeof action !== "string" || !(ACTIONS as readonly string[]).includes(action))
    return bad(`${where}.action must be one of ${ACTIONS.join(", ")}, not ${JSON.stringify(action)}`);
  const shaped = judgeRecordSet(change.recordSet, `${where}.recordSet`, submitter.zoneName);
  if ("status" in shaped) return shaped;
  const owned = judgeOwnership(shaped.ok, `${where}.recordSet`, submitter, deployment);
  if ("status" in owned) return owned;
  // A DELETE of the host's own set stays allowed whatever its name: an agent must be able to remove what an
  // older agent wrote before these rules, or its every batch would be refused.
  if (action !== "DELETE") {
    const named = judgeServiceName(shaped.ok, `${where}.recordSet`, submitter.zoneName);
    if ("status" in named) return named;
  }
  return { ok: { action: action as RecordChange["action"], recordSet: shaped.ok } };
}

/** A record set of one of our types, in Route53's shape, named in the zone: or the first field that is not. */
export function judgeRecordSet(value: unknown, where: string, zoneName: string): Judged<RecordSet> {
  if (!isObject(value)) return bad(`${where} must be a record set object`);
  const unknown = Object.keys(value).filter((k) => !RECORD_SET_FIELDS.has(k));
  if (unknown.length > 0)
    return bad(`${where}: ${unknown.map((k) => `"${k}"`).join(", ")} not allowed in a set the agent writes`);
  const { Name, Type, TTL, SetIdentifier, MultiValueAnswer, Weight, ResourceRecords } = value;
  if (typeof Name !== "string") return bad(`${where}.Name must be a string`);
  const parsed = parseDnsName(Name);
  if ("problem" in parsed) return bad(`${where}.Name: ${parsed.problem.message}`);
  if (!parsed.name.endsWith(`.${zoneName}`))
    return bad(`${where}.Name "${parsed.name}" is not in the zone ${zoneName}`);
  if (Type !== "SRV" && Type !== "A" && Type !== "TXT")
    return bad(`${where}.Type must be SRV, A or TXT, not ${JSON.stringify(Type)}`);
  if (typeof TTL !== "number" || !Number.isInteger(TTL) || TTL < 0 || TTL > MAX_TTL)
    return bad(`${where}.TTL must be an integer from 0 to ${MAX_TTL}`);
  if (typeof SetIdentifier !== "string" || SetIdentifier === "")
    return bad(`${where}.SetIdentifier must be a non-empty string`);
  if (MultiValueAnswer !== undefined && typeof MultiValueAnswer !== "boolean")
    return bad(`${where}.MultiValueAnswer must be true or false`);
  if (
    Weight !== undefined &&
    (typeof Weight !== "number" || !Number.isInteger(Weight) || Weight < 0 || Weight > 255)
  )
    return bad(`${where}.Weight must be an integer from 0 to 255`);
  if ((MultiValueAnswer === true) === (Weight !== undefined))
    return bad(
      `${where}: exactly one of MultiValueAnswer (true) and Weight, the routing of every set we write`,
    );
  if (!Array.isArray(ResourceRecords) || ResourceRecords.length === 0)
    return bad(`${where}.ResourceRecords must be a non-empty array`);
  const records: { Value: string }[] = [];
  for (const [i, r] of ResourceRecords.entries()) {
    if (!isObject(r) || typeof r.Value !== "string" || r.Value === "" || r.Value.length > MAX_VALUE_LENGTH)
      return bad(
        `${where}.ResourceRecords[${i}] must be { "Value": a string of 1 to ${MAX_VALUE_LENGTH} characters }`,
      );
    records.push({ Value: r.Value });
  }
  return {
    ok: {
      Name: parsed.name,
      Type,
      TTL,
      SetIdentifier,
      ...(MultiValueAnswer !== undefined && { MultiValueAnswer }),
      ...(Weight !== undefined && { Weight }),
      ResourceRecords: records,
    },
  };
}

/** Whose a set is, for a refusal a person can act on. */
function ownerText(identity: OwnedIdentity | undefined): string {
  if (identity === undefined) return "not written by ecssd (its SetIdentifier is not ours)";
  const of = identity.deployment === undefined ? "" : ` of deployment "${identity.deployment}"`;
  if (identity.kind === "task" || identity.kind === "task-instance")
    return `the registrar's, for task ${identity.taskId}${of}`;
  return `host "${identity.hostId}"'s${of}`;
}

function judgeOwnership(
  rs: RecordSet,
  where: string,
  { hostId, zoneName }: Submitter,
  deployment: string | undefined,
): Judged<void> {
  const identity = parseSetIdentifier(rs.SetIdentifier);
  const mine =
    deployment === undefined ? `host "${hostId}"` : `host "${hostId}" of deployment "${deployment}"`;
  if (!ownedByHost(identity, { hostId, deployment }))
    return forbidden(`${where} "${rs.SetIdentifier}" is ${ownerText(identity)}, not ${mine}'s to change`);
  const { Type, SetIdentifier } = rs;
  if (!isWrittenByUs(rs))
    return forbidden(`${where}: an agent writes no ${Type} set with SetIdentifier "${SetIdentifier}"`);
  const hostName = hostRecordName(hostId, zoneName);
  if (rs.Type === "A" && rs.Name !== hostName)
    return forbidden(`${where}: ${mine}'s address record is named ${hostName}, not ${rs.Name}`);
  // A TXT set of the host itself (not of an instance) is its AZ set: beside its A set, and nothing else.
  if (rs.Type === "TXT" && identity?.kind === "host") {
    if (rs.Name !== hostName)
      return forbidden(`${where}: ${mine}'s AZ set is named ${hostName}, not ${rs.Name}`);
    if (azIdOf(rs) === undefined)
      return {
        status: 400,
        message: `${where}.ResourceRecords: a host's TXT set holds one value "az-id=<AZ ID>" (such as "az-id=use1-az4")`,
      };
  }
  if (rs.Type === "SRV") {
    for (const [i, r] of rs.ResourceRecords.entries()) {
      const srv = parseSrvValue(r.Value);
      if (srv === undefined)
        return { status: 400, message: `${where}.ResourceRecords[${i}]: "${r.Value}" is not an SRV value` };
      if (srv.target !== hostName)
        return forbidden(
          `${where}.ResourceRecords[${i}]: ${mine}'s instances point at ${hostName}, not ${srv.target}`,
        );
    }
  }
  return { ok: undefined };
}

/**
 * Beside its host records, an agent writes SRV sets and their TXT markers only at service names (`_<service>._tcp|udp.<zone>`, the
 * declarations' shape), and never under a service label of a host's or task's shape: such a service would sit
 * beside that host's or task's address record (`reserved-service-name`, which every writer refuses).
 */
function judgeServiceName(rs: RecordSet, where: string, zoneName: string): Judged<void> {
  // The host's A set and the AZ set beside it sit at the host's own name, which judgeOwnership has checked.
  if (rs.Type === "A" || parseSetIdentifier(rs.SetIdentifier)?.kind === "host") return { ok: undefined };
  const relative = rs.Name.slice(0, -(zoneName.length + 1));
  const service = SRV_NAME.exec(relative);
  if (!service)
    return forbidden(
      `${where}.Name "${rs.Name}": an agent writes ${rs.Type} sets only at service names (_<service>._tcp or _<service>._udp in ${zoneName})`,
    );
  if (isHostOrTaskLabel(service[1] as string))
    return forbidden(
      `${where}.Name "${rs.Name}": reserved-service-name: the service label "${service[1]}" has the shape of a host or task name (an EC2 instance id or an ECS task id), which only address records may use`,
    );
  return { ok: undefined };
}

/**
 * Whether a host's submit keeps each of its containers within what a container may publish: at most `cap` SRV
 * sets (one per declared port, as the agent caps them: ECSSD_MAX_PORTS_PER_CONTAINER) and `cap` TXT markers,
 * counted per deployment mark, host and container as their SetIdentifiers name them, over `current` (the
 * host's own sets in the coalescer's copy of the zone) with the submit's changes applied in order. Only a
 * submit that adds to a container already over the cap is refused (403): one that replaces or removes sets
 * of such a container (written under a higher cap) passes, so its agent can always bring it down.
 */
export function judgeContainerCaps(
  changes: readonly RecordChange[],
  current: readonly RecordSet[],
  cap: number,
): Judged<void> {
  const containerOf = (rs: RecordSet): string | undefined => {
    if (rs.Type !== "SRV" && rs.Type !== "TXT") return undefined;
    const id = parseSetIdentifier(rs.SetIdentifier);
    if (id?.kind !== "instance") return undefined;
    return `${id.deployment ?? ""}|${id.hostId}|${id.containerId}`;
  };
  const grown = new Set<string>();
  for (const c of changes) {
    const container = c.action === "DELETE" ? undefined : containerOf(c.recordSet);
    if (container !== undefined) grown.add(`${container}|${c.recordSet.Type}`);
  }
  if (grown.size === 0) return { ok: undefined };
  const sets = new Map<string, Set<string>>();
  const setsOf = (group: string) => {
    let keys = sets.get(group);
    if (!keys) {
      keys = new Set();
      sets.set(group, keys);
    }
    return keys;
  };
  for (const rs of current) {
    const container = containerOf(rs);
    if (container !== undefined) setsOf(`${container}|${rs.Type}`).add(recordSetKey(rs));
  }
  const before = new Map([...sets].map(([group, keys]) => [group, keys.size]));
  for (const c of changes) {
    const container = containerOf(c.recordSet);
    if (container === undefined) continue;
    const keys = setsOf(`${container}|${c.recordSet.Type}`);
    if (c.action === "DELETE") keys.delete(recordSetKey(c.recordSet));
    else keys.add(recordSetKey(c.recordSet));
  }
  for (const group of grown) {
    const after = sets.get(group)?.size ?? 0;
    if (after <= cap || after <= (before.get(group) ?? 0)) continue;
    const [deployment, hostId, containerId, type] = group.split("|");
    const of = deployment === "" ? "" : ` of deployment "${deployment}"`;
    return forbidden(
      `changes: container ${containerId} of host "${hostId}"${of} would have ${after} ${type} sets, more than the ${cap} ports a container may publish (ECSSD_MAX_PORTS_PER_CONTAINER)`,
    );
  }
  return { ok: undefined };
}
