// Puts the agent together from its configuration: host identity, zone, Docker, loop, metrics. The three
// ways to run it — keep converging, converge once, remove this host's records — share this wiring.

import type { Route53Client } from "@aws-sdk/client-route-53";
import type Docker from "dockerode";
import { COALESCER_ROUTES } from "../coalescer/apiContract";
import { EmfWriter, startPeriodicEmf } from "../metrics/emf";
import { ownershipRules } from "../records";
import {
  type AvailabilityZoneOptions,
  type AvailabilityZoneResult,
  discoverAvailabilityZone,
} from "../resolver/src/availabilityZone";
import type { Route53Call } from "../route53/call";
import { route53Client } from "../route53/client";
import { QuotaWarning } from "../route53/recordSetQuota";
import { hostedZoneRecordSetUsage } from "../route53/recordSetUsage";
import { withRetries } from "../route53/retry";
import { Agent } from "./agent";
import { sleep } from "./backoff";
import { type Prober, probe } from "./checkProber";
import { CoalescerZone } from "./coalescerZone";
import { type AgentConfig, AZ_ID_OFF, ECS_CONFIRMATION_OFF } from "./config";
import type { ContainerSource } from "./containerSource";
import type { HostContext } from "./desiredState";
import { DockerSource } from "./dockerSource";
import { EcsIntrospection } from "./ecsIntrospection";
import { EcsConfirmedSource } from "./ecsIntrospectionSource";
import { resolveHostIdentity } from "./hostIdentity";
import { AgentMetrics } from "./metrics";
import { RECORD_SET_USAGE_EVERY_MS, RecordSetUsageWatch } from "./recordSetUsageWatch";
import { Route53Zone, zoneIdAtStart } from "./route53Zone";
import { type Log, SyncLoop } from "./syncLoop";
import { WarningLimiter } from "./warningLimiter";
import type { ZoneWriter } from "./zoneWriter";

export interface HostAgentDeps {
  log: Log;
  /** Default: dockerode on DOCKER_HOST or the local socket. */
  docker?: Docker;
  /** Any ContainerSource instead of Docker (the benchmark's simulated host). */
  source?: ContainerSource;
  /** Default: a client for the configured endpoint. */
  route53?: Route53Client;
  /** Runs one health check; default: HTTP and TCP over the network (checkProber.ts). */
  prober?: Prober;
  /** Back-off of zone writes (ms); tests shorten it. */
  backoff?: { baseMs: number; capMs: number };
  /** Says the zone is full, once a minute; tests give it their clock. */
  quotaWarning?: QuotaWarning;
  /** The first GetHostedZoneLimit comes at a random point within this (ms); default an hour. Tests shorten it. */
  usageFirstWithinMs?: number;
  /**
   * The EMF lines for CloudWatch: default every minute to stdout, when the config's `emf` (ECSSD_EMF) is on;
   * `enabled` overrides it. Tests catch them.
   */
  emf?: { write?: (line: string) => void; everyMs?: number; enabled?: boolean };
  /**
   * Where the host's AZ is asked for when ECSSD_AZ_ID is unset (resolver/src/availabilityZone.ts): default the
   * ECS task metadata endpoint of process.env, then IMDSv2, each within a second. Tests point it at doubles.
   */
  availabilityZone?: AvailabilityZoneOptions;
  /** When the AZ is asked again after the endpoints failed (ms); default AZ_RETRY. Tests shorten it. */
  availabilityZoneRetry?: { firstMs: number; capMs: number };
}

export interface HostAgent {
  readonly host: HostContext;
  readonly zoneId: string;
  readonly metrics: AgentMetrics;
  readonly loop: SyncLoop;
  readonly agent: Agent;
  /** Port of the metrics server, when one runs. */
  readonly metricsPort?: number;
  /** SIGTERM: stop watching, flush what is pending (at most `timeoutMs`), stop. Records stay. */
  stop(timeoutMs?: number): Promise<void>;
}

/** The owners map with its closing (records/serviceOwners.ts), or nothing when every name is open. */
function ownersOf(config: AgentConfig): Pick<HostContext, "serviceOwners"> {
  const owners = ownershipRules(config.serviceOwners, config.serviceOwnersClosed);
  return owners ? { serviceOwners: owners } : {};
}

/** Start-up may meet a coalescer that is itself starting: retry its status a few times, as the zone lookup. */
const COALESCER_STATUS_RETRIES = { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 5_000 };

/**
 * The zone the agent writes through: the coalescer's when ECSSD_COALESCER_URL is set (no Route53 client at
 * all, the zone id configured or the coalescer's), else Route53 itself, as before.
 */
async function zoneOf(
  config: AgentConfig,
  hostId: string,
  deps: HostAgentDeps,
  metrics: AgentMetrics,
): Promise<{ zone: ZoneWriter; zoneId: string; client?: Route53Client }> {
  if (config.coalescerUrl !== undefined) {
    const zone = new CoalescerZone(config.coalescerUrl, hostId, {
      ...(config.deployment !== undefined && { deployment: config.deployment }),
      ...(config.coalescerToken !== undefined && { token: config.coalescerToken }),
      onApiCall: metrics.apiCall,
    });
    if (config.zoneId !== undefined) return { zone, zoneId: config.zoneId };
    const status = await withRetries(() => zone.status(), COALESCER_STATUS_RETRIES);
    if (status.zoneName !== config.zoneName)
      throw new Error(
        `the coalescer at ${config.coalescerUrl} writes the zone ${status.zoneName}, not ${config.zoneName} (ECSSD_ZONE_NAME)`,
      );
    return { zone, zoneId: status.zoneId };
  }
  const client =
    deps.route53 ?? route53Client(config.route53Endpoint ? { endpoint: config.route53Endpoint } : {});
  const zoneId = await zoneIdAtStart(client, config);
  return { zone: new Route53Zone(client, zoneId, metrics.apiCall), zoneId, client };
}

/**
 * How often the metadata endpoints are asked again for the host's AZ after they failed (ms): a minute, doubling
 * up to an hour. A host never changes AZ; only an endpoint briefly down is waited for, and waiting costs nothing.
 */
export const AZ_RETRY = { firstMs: 60_000, capMs: 3_600_000 } as const;

/**
 * The host's AZ ID: ECSSD_AZ_ID's, none when it is `off`, else asked of the metadata endpoints in the background
 * (each bounded). Not knowing it costs only the AZ set: one line says why, and the agent goes on; with
 * `keepAsking` the endpoints are asked again (AZ_RETRY) until they answer or it is aborted, without one.
 */
function availabilityZoneOf(
  config: AgentConfig,
  deps: HostAgentDeps,
  keepAsking?: AbortSignal,
): { azId?: string; pending?: Promise<string | undefined> } {
  if (config.azId === AZ_ID_OFF) return {};
  if (config.azId !== undefined) return { azId: config.azId };
  return { pending: askAvailabilityZone(deps, keepAsking) };
}

async function askAvailabilityZone(
  deps: HostAgentDeps,
  keepAsking?: AbortSignal,
): Promise<string | undefined> {
  const retry = deps.availabilityZoneRetry ?? AZ_RETRY;
  let delayMs = retry.firstMs;
  for (let attempt = 1; ; attempt++) {
    // A new options object each time: discovery remembers its answer per options object.
    const found: AvailabilityZoneResult = await discoverAvailabilityZone({ ...deps.availabilityZone });
    if (found.azId !== undefined) {
      deps.log.info(
        { action: "availability-zone", azId: found.azId, source: found.source, attempt },
        `this host runs in ${found.azId} (from ${found.source}); its AZ set is written beside its host record`,
      );
      return found.azId;
    }
    if (attempt === 1) {
      const tried = found.tried.map((t) => `${t.source}: ${t.problem}`).join("; ");
      const later = keepAsking
        ? `, asked again in the background (after ${retry.firstMs / 1000} s, doubling up to ${retry.capMs / 1000} s) until one answers`
        : "";
      deps.log.warn(
        { action: "availability-zone", tried: found.tried },
        `cannot tell which AZ this host runs in (${tried}); no AZ set is written${later}, and one the zone holds for this host is kept (set ECSSD_AZ_ID to give it)`,
      );
    }
    if (keepAsking === undefined) return undefined;
    await sleep(delayMs, keepAsking, true);
    if (keepAsking.aborted) return undefined;
    delayMs = Math.min(delayMs * 2, retry.capMs);
  }
}

/** `keepAsking`: the AZ is asked again until the endpoints answer or it is aborted (a long-running agent). */
async function prepare(config: AgentConfig, deps: HostAgentDeps, keepAsking?: AbortSignal) {
  // Asked first, so that the metadata endpoints answer while the zone is looked up and read.
  const az = availabilityZoneOf(config, deps, keepAsking);
  const identity = await resolveHostIdentity({
    ...(config.hostId ? { hostId: config.hostId } : {}),
    ...(config.hostIp ? { address: config.hostIp } : {}),
  });
  const metrics = new AgentMetrics();
  const { zone, zoneId, client } = await zoneOf(config, identity.hostId, deps, metrics);
  // The coalescer tells the zone's size itself (GET /v1/status); an agent writing Route53 asks it.
  const usage = client && recordSetUsageWatch(zone, client, zoneId, metrics, deps);
  const host: HostContext = {
    hostId: identity.hostId,
    address: identity.address,
    zone: config.zoneName,
    srvTtl: config.srvTtl,
    routing: config.routing,
    ...ownersOf(config),
    maxPortsPerContainer: config.maxPortsPerContainer,
    ...(config.deployment !== undefined && { deployment: config.deployment }),
    ...(az.azId !== undefined && { azId: az.azId }),
  };
  const loop = new SyncLoop({
    zone,
    hostId: host.hostId,
    ...(config.deployment !== undefined && { deployment: config.deployment }),
    flushMs: config.flushMs,
    log: deps.log,
    observer: metrics,
    ...(deps.backoff ? { backoff: deps.backoff } : {}),
    quota: {
      warning: deps.quotaWarning ?? new QuotaWarning(deps.log),
      zone: { name: config.zoneName, id: zoneId },
      ...(usage && { usage: () => usage.askNow() }),
    },
  });
  return { host, zoneId, metrics, loop, usage, azPending: az.pending };
}

/**
 * The zone's record sets against its quota, for the gauges and the quota warning: asked of Route53 only when
 * the agent writes to Route53 itself (a writer in between, such as the coalescer, answers for the zone).
 */
function recordSetUsageWatch(
  zone: ZoneWriter,
  client: Route53Client,
  zoneId: string,
  metrics: AgentMetrics,
  deps: HostAgentDeps,
): RecordSetUsageWatch | undefined {
  if (!(zone instanceof Route53Zone)) return undefined;
  const counted: Route53Call = (operation, send) => {
    metrics.apiCall(operation);
    return send();
  };
  return new RecordSetUsageWatch({
    ask: () => hostedZoneRecordSetUsage(client, zoneId, counted),
    onUsage: (u) => metrics.zoneRecordSetUsage(u),
    firstWithinMs: deps.usageFirstWithinMs ?? RECORD_SET_USAGE_EVERY_MS,
    log: deps.log,
  });
}

/**
 * Docker (or the given source), behind the ECS agent's confirmation of containers' ECS labels unless
 * ECSSD_ECS_AGENT_URL is `off`. Failed requests are logged once a minute at most, and counted.
 */
/** The agent over a prepared host, with the same options whether it runs on or converges once. */
function agentOn(
  prepared: Pick<Awaited<ReturnType<typeof prepare>>, "host" | "loop" | "metrics" | "azPending">,
  config: AgentConfig,
  deps: HostAgentDeps,
  resyncMs: number,
): Agent {
  const { host, loop, metrics, azPending } = prepared;
  return new Agent({
    source: containerSource(config, deps, metrics),
    loop,
    host,
    log: deps.log,
    resyncMs,
    onSkip: metrics.declarationSkipped,
    prober: deps.prober ?? probe,
    checkObserver: metrics,
    dnsHoldDownMs: config.dnsHoldDownSeconds * 1000,
    ...(azPending !== undefined && { availabilityZone: azPending }),
  });
}

function containerSource(config: AgentConfig, deps: HostAgentDeps, metrics: AgentMetrics): ContainerSource {
  const source = deps.source ?? new DockerSource(deps.docker ? { docker: deps.docker } : {});
  if (config.ecsAgentUrl === ECS_CONFIRMATION_OFF) return source;
  const warnings = new WarningLimiter(60_000, Date.now);
  let failing = false;
  const ecs = new EcsIntrospection({
    url: config.ecsAgentUrl,
    onRequest: (outcome) => {
      metrics.introspectionRequest(outcome.ok);
      if (outcome.ok) {
        warnings.reset();
        if (failing)
          deps.log.info({ action: "ecs-introspection", tasks: outcome.tasks }, "the ECS agent answers again");
        failing = false;
        return;
      }
      failing = true;
      const take = warnings.take();
      if (take.log) {
        deps.log.warn(
          {
            action: "ecs-introspection",
            url: config.ecsAgentUrl,
            err: outcome.reason,
            suppressed: take.suppressed,
          },
          "cannot ask the ECS agent which task a container belongs to; containers it has not confirmed are not registered",
        );
      }
    },
  });
  return new EcsConfirmedSource(source, ecs);
}

/** Starts the agent: loads this host's records from the zone, lists containers, keeps converging. */
export async function startHostAgent(config: AgentConfig, deps: HostAgentDeps): Promise<HostAgent> {
  // The AZ is asked for until the endpoints answer, as long as the agent runs (or until its start fails).
  const azAsking = new AbortController();
  try {
    return await runHostAgent(config, deps, azAsking);
  } catch (err) {
    azAsking.abort();
    throw err;
  }
}

async function runHostAgent(
  config: AgentConfig,
  deps: HostAgentDeps,
  azAsking: AbortController,
): Promise<HostAgent> {
  const emfWriter = new EmfWriter("agent", {
    enabled: deps.emf?.enabled ?? config.emf,
    ...(deps.emf?.write && { write: deps.emf.write }),
  });
  const { host, zoneId, metrics, loop, usage, azPending } = await prepare(config, deps, azAsking.signal);
  const server = config.metricsPort !== undefined ? await metrics.serve(config.metricsPort) : undefined;
  await loop.loadApplied();
  deps.log.info(
    { action: "start", host: host.hostId, zone: host.zone, zoneId, records: loop.appliedCount },
    "agent starting",
  );
  const agent = agentOn({ host, loop, metrics, azPending }, config, deps, config.resyncSeconds * 1000);
  await agent.start();
  // In sync: nothing pending once the containers were listed (before that, an empty zone would look in sync).
  metrics.syncedWhen(() => loop.pendingChanges().length === 0);
  usage?.start();
  const emf = startPeriodicEmf(emfWriter, (w) => metrics.emitTo(w, host.hostId), deps.emf?.everyMs);
  let stopping: Promise<void> | undefined;
  return {
    host,
    zoneId,
    metrics,
    loop,
    agent,
    ...(server ? { metricsPort: server.port } : {}),
    stop(timeoutMs = 10_000) {
      stopping ??= (async () => {
        azAsking.abort();
        usage?.stop();
        await agent.stop();
        const done = await loop.flush(timeoutMs);
        await loop.stop();
        emf.stop();
        await server?.close();
        deps.log.info(
          { action: "stop", converged: done, pending: loop.pendingChanges().length },
          "agent stopped",
        );
      })();
      return stopping;
    },
  };
}

/** Converges once: the zone's records of this host equal the running containers; then stops. */
export async function syncHostOnce(
  config: AgentConfig,
  deps: HostAgentDeps,
  timeoutMs = 60_000,
): Promise<{ converged: boolean; calls: number }> {
  const { host, loop, metrics, azPending } = await prepare(config, deps);
  // One pass: no resync within it.
  const agent = agentOn({ host, loop, metrics, azPending }, config, deps, 3_600_000);
  let expired = false;
  const deadline = setTimeout(() => {
    expired = true;
    void agent.stop();
    void loop.stop();
  }, timeoutMs);
  try {
    await loop.loadApplied();
    await agent.start();
    // A declared check must pass before its port is written; give every check its first try.
    await agent.checksProbed(Math.max(0, timeoutMs / 2));
    // The AZ, when asked for, is in this one pass too (each endpoint is bounded, so this is short).
    await azPending;
    await agent.stop();
    const converged = !expired && (await loop.flush(timeoutMs));
    await loop.stop();
    const calls =
      (metrics.callCounts.get("ChangeResourceRecordSets") ?? 0) +
      (metrics.callCounts.get(COALESCER_ROUTES.changes) ?? 0);
    return { converged, calls };
  } finally {
    clearTimeout(deadline);
  }
}

/** Deletes every record set of this host (host shutdown). */
export async function removeHostRecords(
  config: AgentConfig,
  deps: HostAgentDeps,
  timeoutMs = 60_000,
): Promise<{ converged: boolean; removed: number }> {
  const { loop } = await prepare(config, deps);
  const deadline = setTimeout(() => void loop.stop(), timeoutMs);
  try {
    await loop.loadApplied();
    const removed = loop.appliedCount;
    loop.replaceAll(new Map());
    const converged = await loop.flush(timeoutMs);
    await loop.stop();
    return { converged, removed };
  } finally {
    clearTimeout(deadline);
  }
}
