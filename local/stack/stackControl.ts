// `stack status` and `stack down`, run from another terminal against a stack that `stack up` started.
import { COALESCER_ROUTES } from "../../coalescer/apiContract";
import { bearerHeader } from "../../coalescer/apiToken";
import type { CoalescerStatus } from "../../coalescer/coalescer";
import {
  instanceKey,
  type OwnedIdentity,
  ownerOf,
  parseHealthMarker,
  parseSetIdentifier,
  parseSrvValue,
  type ZoneRecordSet,
} from "../../records";
import {
  hostedZoneRecordSetUsage,
  listZoneRecordSets,
  type RecordSetUsage,
  route53Client,
} from "../../route53";
import { StackContainers } from "./stackContainers";
import { clearStackState, isAlive, readStackName, readStackState } from "./stackState";

/** An instance kept out of DNS for its health, and whose verdict that is. */
export interface HeldInstance {
  container?: string;
  /** `agent-check`: its declared check has not passed yet or fails now; `reconciler-verdict`: the reconciler took it out. */
  reason: "agent-check" | "reconciler-verdict";
  /** Human words: `agent check (http) not passing` or `reconciler: HTTP 500 since <time>`. */
  why: string;
}

export interface ServiceStatus {
  name: string;
  instances: Array<{
    target: string;
    port: number;
    container?: string;
    /** The ECS task, for an awsvpc task's instance (and a bridge task's, when it has one). */
    task?: string;
    /** Whose record it is: the agent on the instance's host, or the registrar (awsvpc tasks). */
    owner?: "agent" | "registrar";
    ttl?: number;
  }>;
  /** Instances out of DNS because of their health (read from the health markers in the zone). */
  outOfDns: HeldInstance[];
}

export interface StackStatus {
  running: boolean;
  portalUrl?: string;
  dns?: string;
  services: ServiceStatus[];
  /** A records: hosts' (the agent's) and awsvpc tasks' (the registrar's). */
  hosts: Array<{ name: string; address: string; owner?: "agent" | "registrar" }>;
  /** The zone, with its record sets (everyone's) against its quota (GetHostedZoneLimit MAX_RRSETS_BY_ZONE). */
  zone?: { name: string; id: string; recordSets: RecordSetUsage };
  /** The stack's coalescer; null: none, each writer writes Route53 itself (`--no-coalescer`). */
  coalescer?: StackCoalescerStatus | null;
}

/** The coalescer's URL and what its `GET /v1/status` answers, or why it did not. */
export interface StackCoalescerStatus {
  url: string;
  status?: CoalescerStatus;
  unreachable?: string;
}

/** How long `stack status` waits for the coalescer's answer. */
const COALESCER_STATUS_TIMEOUT_MS = 5_000;

async function coalescerStatus(url: string, token: string | undefined): Promise<StackCoalescerStatus> {
  const path = COALESCER_ROUTES.status.split(" ")[1] ?? "";
  try {
    const res = await fetch(new URL(path, url), {
      signal: AbortSignal.timeout(COALESCER_STATUS_TIMEOUT_MS),
      ...(token !== undefined && { headers: bearerHeader(token) }),
    });
    if (!res.ok) return { url, unreachable: `it answered ${res.status}: ${await res.text()}` };
    return { url, status: (await res.json()) as CoalescerStatus };
  } catch (err) {
    return { url, unreachable: (err as Error).message };
  }
}

/** The ECS task a record names: an awsvpc task's, or a bridge task container's when it carries one. */
function taskOf(owner: OwnedIdentity | undefined): string | undefined {
  if (owner?.kind === "task-instance" || owner?.kind === "instance") return owner.taskId;
  return undefined;
}

/** Services and instances as the zone has them (not as Docker has them: the zone is what consumers see). */
export async function stackStatus(stateDir: string): Promise<StackStatus> {
  const state = readStackState(stateDir);
  if (!state) return { running: false, services: [], hosts: [] };
  const client = route53Client({ endpoint: state.apiUrl });
  let sets: ZoneRecordSet[];
  let recordSets: RecordSetUsage;
  const coalescer =
    state.coalescerUrl === undefined ? null : coalescerStatus(state.coalescerUrl, state.coalescerToken);
  try {
    sets = await listZoneRecordSets(client, state.hostedZoneId);
    recordSets = await hostedZoneRecordSetUsage(client, state.hostedZoneId);
  } finally {
    client.destroy();
  }
  const services = new Map<string, ServiceStatus>();
  const service = (name: string) => {
    const found = services.get(name) ?? { name, instances: [], outOfDns: [] };
    services.set(name, found);
    return found;
  };
  const hosts: StackStatus["hosts"] = [];
  const inDns = new Set(sets.filter((rs) => rs.Type === "SRV").map((rs) => instanceKey(rs)));
  for (const rs of sets) {
    const marker = parseHealthMarker(rs);
    if (!marker || inDns.has(instanceKey(rs))) continue;
    const owner = parseSetIdentifier(rs.SetIdentifier);
    const container = owner?.kind === "instance" ? owner.containerId.slice(0, 12) : undefined;
    service(rs.Name).outOfDns.push({
      ...(container ? { container } : {}),
      reason: marker.kind === "agent-check" ? "agent-check" : "reconciler-verdict",
      why:
        marker.kind === "agent-check"
          ? `agent check (${marker.check}) not passing yet, or failing`
          : `reconciler verdict: ${marker.detail || "unhealthy"} since ${marker.since} (port ${marker.port})`,
    });
  }
  for (const rs of sets) {
    const name = rs.Name;
    const owner = parseSetIdentifier(rs.SetIdentifier);
    if (rs.Type === "A") {
      for (const r of rs.ResourceRecords) {
        hosts.push({ name, address: r.Value, ...(owner && { owner: ownerOf(owner) }) });
      }
      continue;
    }
    if (rs.Type !== "SRV") continue;
    const instances = service(name).instances;
    for (const r of rs.ResourceRecords) {
      const srv = parseSrvValue(r.Value);
      if (!srv) continue;
      instances.push({
        target: srv.target,
        port: srv.port,
        container: owner?.kind === "instance" ? owner.containerId.slice(0, 12) : undefined,
        ...(taskOf(owner) && { task: taskOf(owner) }),
        ...(owner && { owner: ownerOf(owner) }),
        ttl: rs.TTL,
      });
    }
  }
  return {
    running: true,
    portalUrl: state.portalUrl,
    dns: `${state.dns.host}:${state.dns.port}`,
    services: [...services.values()],
    hosts,
    zone: { name: state.zoneName, id: state.hostedZoneId, recordSets },
    coalescer: await coalescer,
  };
}

/** Asks a running `stack up` to stop and waits for it; removes leftovers when no stack process is alive. */
export async function stackDown(stateDir: string, say: (line: string) => void): Promise<void> {
  const state = readStackState(stateDir);
  if (state) {
    say(`stopping the local stack (process ${state.pid})`);
    process.kill(state.pid, "SIGTERM");
    const deadline = Date.now() + 60_000;
    while (isAlive(state.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (isAlive(state.pid)) throw new Error(`the stack process ${state.pid} did not stop within 60 s`);
    if (state.agentPid && isAlive(state.agentPid)) process.kill(state.agentPid, "SIGKILL");
  }
  // Leftovers are found by the name of the last stack started from this folder, even one that died before
  // it was up; a folder that never started one has none (the default name's, as before).
  const removed = await new StackContainers(readStackName(stateDir)).removeAll();
  if (removed > 0) say(`removed ${removed} leftover container(s)`);
  clearStackState(stateDir);
  say(state || removed > 0 ? "the local stack is down" : "no local stack was running");
}
