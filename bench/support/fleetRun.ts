// Runs one fleet scenario against one local zone with Route53's limits: the real agent code on every
// simulated host (one Route53 client each, the real SDK over HTTP), the registrar applying the task events of
// awsvpc tasks as Lambda invocations, the reconciler on its schedule, and one other tool of the account making
// one request a second. Time may be compressed by `timeScale`: every rate and token refill of the limits, every
// duration of the plan, and the writers' own timers (flush window, back-off, resync, retries) are scaled by the
// same factor, and measured times are multiplied back into the fleet's own seconds.
import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { ListResourceRecordSetsCommand } from "@aws-sdk/client-route-53";
import pino from "pino";
import { agentEnvironment, ECS_CONFIRMATION_OFF, loadAgentConfig, SETTINGS } from "../../agent/config";
import { type HostAgent, startHostAgent } from "../../agent/hostAgent";
import { ZONE_BACKOFF } from "../../agent/syncLoop";
import { Coalescer } from "../../coalescer/coalescer";
import { type CoalescerApi, startCoalescerApi } from "../../coalescer/httpApi";
import { DEFAULT_ROUTE53_BUDGET, type Route53Budget } from "../../coalescer/route53Budget";
import type { FaultSettings } from "../../local/zone";
import { reconcile, reconcilerConfig } from "../../reconciler";
import { CoalescerTaskZone } from "../../registrar/coalescerTaskZone";
import { applyTaskEvent, type TaskSource } from "../../registrar/registrar";
import { Route53TaskZone } from "../../registrar/route53TaskZone";
import type { DescribedTask } from "../../registrar/taskAction";
import type { TaskDefinitionShape } from "../../registrar/taskDeclarations";
import type { TaskStatus } from "../../registrar/taskStateChange";
import { AwsCall } from "../../route53/awsCall";
import { route53Client } from "../../route53/client";
import { ecsClient } from "../../route53/ecsClient";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../../route53/retry";
import { type DoubleCluster, type DoubleTask, installEcsDouble } from "../../test/kit/ecsDouble";
import { changeZone } from "../../test/kit/zoneSeeding";
import { FLEET_ACCOUNT, FLEET_CLUSTER_ARN, FleetDocker, type FleetTask, hostId } from "./fleetHosts";
import type { Happening, ScenarioPlan } from "./fleetScenarios";
import { type FleetZone, startFleetZone } from "./fleetZone";
import { Route53Meter, type WriterSummary } from "./route53Meter";
import { type LatencyReport, recordKey, ZoneTruth } from "./zoneTruth";

const quiet = pino({ level: "silent" });
const S = 1000;

export interface RunSettings {
  /** Route53's limits as the zone applies them during the scenario (already time-scaled). */
  limits: FaultSettings;
  /** Model seconds per wall second (1: real time). */
  timeScale: number;
  /** Stop-phase task state changes ECS sends per awsvpc task after the first (STOPPING, DEPROVISIONING, STOPPED). */
  stopEventsAfterFirst: number;
  /** The other tool's requests per model second. */
  otherToolRps: number;
  /** Longest wall time the setup may take (limits off) before the scenario is abandoned. */
  setupTimeoutMs?: number;
  /** Progress lines (stderr); none when absent. */
  progress?: (line: string) => void;
  /**
   * Who writes: `coalescer`, one writer for the zone that agents and task events submit to (coalescer/), or
   * `direct`, every agent and every registrar invocation its own Route53 writer (the code before it).
   */
  writer: "coalescer" | "direct";
  /** The coalescer's share of the account's budget. */
  budget?: Route53Budget;
}

export interface ScenarioResult {
  scenario: ScenarioPlan["name"];
  description: string;
  /** Latencies in model seconds. */
  latency: Record<string, LatencySummary>;
  route53: Record<string, WriterSummary>;
  /** Calls the zone received by action (its own count, throttled included), for cross-checking the meter. */
  zoneCalls: Record<string, number>;
  recordSets: { peak: number; end: number; quota: number | undefined };
  zone: {
    equalAtEnd: boolean;
    /** Model seconds after the last change of the truth when the zone became equal to it (and stayed). */
    equalSecondsAfterLastChange: number | null;
    missingAtEnd: number;
    extraAtEnd: number;
    /**
     * Of those, the ones no writer is still working on (lost until something else notices: a resync, the
     * reconciler, the next event): not in a running agent's pending changes, no event of the task in flight or
     * waiting for Lambda's retry. The rest were still queued when the scenario ended.
     */
    lostMissing: number;
    lostExtra: number;
    examples: string[];
    unexpectedWrites: number;
    unexpectedRemovals: number;
  };
  registrar: {
    invocations: number;
    failedAttempts: number;
    deadLettered: number;
    outcomes: Record<string, number>;
  };
  reconciler: { runs: number; failed: number; deleted: number; apiCalls: number; errors: string[] };
  /** Agents started, failed to start, and changes they gave up on because the zone refused them alone. */
  agents: { started: number; failedToStart: number; rejectedChanges: number };
  /** Model seconds the scenario ran (to the zone's equality or the bound), wall seconds it took. */
  modelSeconds: number;
  wallSeconds: number;
  setupWallSeconds: number;
  /** Event loop delay of the bench process, wall ms: the machine kept the pace when it stays far below the flush window. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}

export interface LatencySummary {
  transitions: number;
  followed: number;
  notFollowed: number;
  overtaken: number;
  /** Model seconds; null when the rank falls on a transition the zone never followed. */
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** The registrar's view of ECS: each awsvpc task as DescribeTasks would describe it at the moment it is asked. */
class EcsTasks implements TaskSource {
  readonly tasks = new Map<
    string,
    { task: FleetTask; version: number; last: TaskStatus; desired: TaskStatus }
  >();

  async describeTask(_cluster: string, taskArn: string): Promise<DescribedTask> {
    const s = this.tasks.get(taskArn);
    if (!s) return "missing";
    return {
      version: s.version,
      lastStatus: s.last,
      desiredStatus: s.desired,
      eniAddress: s.task.eniAddress,
      taskDefinitionArn: definitionArn(s.task),
      containerOverrides: [],
    };
  }
  async taskDefinition(arn: string): Promise<TaskDefinitionShape> {
    const family = /task-definition\/([^:]+):/.exec(arn)?.[1] ?? "unknown";
    return {
      family,
      networkMode: "awsvpc",
      containerDefinitions: [
        { name: "app", environment: [{ name: "SERVICE_8080_NAME", value: `_${family}._tcp` }] },
      ],
    };
  }
}

function definitionArn(task: FleetTask): string {
  const family = task.service.replace(/^_/, "").replace(/\._tcp$/, "");
  return `arn:aws:ecs:us-east-1:${FLEET_ACCOUNT}:task-definition/${family}:1`;
}

function taskEvent(task: FleetTask, version: number, last: TaskStatus, desired: TaskStatus, id: string) {
  return {
    version: "0",
    id,
    "detail-type": "ECS Task State Change",
    source: "aws.ecs",
    detail: {
      clusterArn: FLEET_CLUSTER_ARN,
      taskArn: task.taskArn,
      taskDefinitionArn: definitionArn(task),
      version,
      lastStatus: last,
      desiredStatus: desired,
      launchType: "EC2",
      attachments: [{ type: "eni", details: [{ name: "privateIPv4Address", value: task.eniAddress }] }],
      containers: [{ name: "app", lastStatus: last }],
    },
  };
}

function scaledPolicy(p: RetryPolicy, k: number): RetryPolicy {
  return { ...p, baseDelayMs: p.baseDelayMs / k, maxDelayMs: p.maxDelayMs / k };
}

/** Lambda's retries of a failed asynchronous invocation: after one minute, then after two more. */
const LAMBDA_RETRY_DELAYS_MS = [60 * S, 120 * S];
/** ECS's stop-phase events after the first (desired STOPPED), and when they come after it. */
const STOP_PHASE: { last: TaskStatus; afterMs: number }[] = [
  { last: "STOPPING", afterMs: 2 * S },
  { last: "DEPROVISIONING", afterMs: 30 * S },
  { last: "STOPPED", afterMs: 35 * S },
];

function summarise(r: LatencyReport, k: number): LatencySummary {
  const transitions = r.samples.length + r.notFollowed;
  const at = (p: number): number | null => {
    if (transitions === 0) return null;
    const rank = Math.min(transitions, Math.max(1, Math.ceil((p / 100) * transitions)));
    const v = r.samples[rank - 1];
    return v === undefined ? null : Math.round((v * k) / 10) / 100;
  };
  return {
    transitions,
    followed: r.samples.length,
    notFollowed: r.notFollowed,
    overtaken: r.overtaken,
    p50: at(50),
    p99: at(99),
    max: r.notFollowed > 0 ? null : at(100),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runScenario(plan: ScenarioPlan, settings: RunSettings): Promise<ScenarioResult> {
  const k = settings.timeScale;
  const progress = settings.progress ?? (() => {});
  const zone = await startFleetZone({ faults: {} });
  const truth = new ZoneTruth();
  let peakSets = 0;
  zone.onNamesChanged((changed) => {
    truth.observe(changed);
    peakSets = Math.max(peakSets, zone.recordSetCount());
  });
  const meter = new Route53Meter();
  // Everything scheduled for later (Lambda's retries, ECS's later events) is dropped at teardown.
  const torn = new AbortController();
  // One listener per thing scheduled (thousands in a deploy): not a leak.
  setMaxListeners(0, torn.signal);
  const later = (ms: number, fn: () => void) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        torn.signal.removeEventListener("abort", drop);
        fn();
        resolve();
      }, ms);
      const drop = () => {
        clearTimeout(timer);
        resolve();
      };
      torn.signal.addEventListener("abort", drop, { once: true });
    });
  const clients: { destroy(): void }[] = [];
  const docker = Array.from({ length: plan.hosts }, () => new FleetDocker());
  const agents: (HostAgent | undefined)[] = new Array(plan.hosts);
  const agentStats = { started: 0, failedToStart: 0 };
  const pendingWork = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>) => {
    pendingWork.add(p);
    void p.finally(() => pendingWork.delete(p)).catch(() => {});
    return p;
  };

  // ECS, twice over: the registrar's DescribeTasks (EcsTasks), and the reconciler's inventory (the SDK double).
  const ecsTasks = new EcsTasks();
  const cluster: DoubleCluster = {
    arn: FLEET_CLUSTER_ARN,
    instances: Array.from({ length: plan.hosts }, (_, h) => ({
      arn: `arn:aws:ecs:us-east-1:${FLEET_ACCOUNT}:container-instance/fleet/${hostId(h).slice(2)}`,
      ec2InstanceId: hostId(h),
      status: "ACTIVE" as const,
    })),
    tasks: [],
  };
  const doubleTasks = new Map<string, DoubleTask>();
  const ecs = ecsClient({ region: "us-east-1" });
  const ecsDouble = installEcsDouble(ecs, [cluster]);

  // The registrar: one client, each event its own invocation, retried as Lambda retries an async invocation.
  const meteredClient = (writer: string) => {
    const c = meter.attach(route53Client({ endpoint: zone.apiUrl }), writer);
    // After the scenario no request goes out: an error no writer retries, so that an agent still loading its
    // records (it retries a busy zone without end) gives up instead of keeping the process alive.
    c.middlewareStack.add(
      (next) => async (args) => {
        if (torn.signal.aborted)
          throw Object.assign(new Error("the scenario is over"), { name: "ScenarioOver" });
        return next(args);
      },
      { step: "initialize", name: "fleetScenarioOver" },
    );
    clients.push(c);
    return c;
  };
  // The coalescer, when it writes: its own client, its timers on the scenario's clock, its budget a share of the
  // account's figures as the zone applies them.
  const coalescer =
    settings.writer === "coalescer"
      ? new Coalescer({
          client: meteredClient("coalescer"),
          zoneId: zone.hostedZoneId,
          zoneName: zone.zoneName,
          budget: settings.budget ?? DEFAULT_ROUTE53_BUDGET,
          windowMs: 250 / k,
          relistSeconds: 300 / k,
          log: quiet,
          account: {
            requests: { rps: settings.limits.accountRps ?? 10, burst: settings.limits.accountBurst ?? 50 },
            changes: {
              rps: settings.limits.changesPerSecond ?? 100,
              burst: settings.limits.changeBurst ?? 1000,
            },
          },
          backoff: { baseMs: 100 / k, capMs: 5_000 / k },
        })
      : undefined;
  await coalescer?.start();
  // The agents reach it over HTTP, as on their hosts (agent/coalescerZone.ts), with its token.
  const coalescerToken = randomBytes(24).toString("base64url");
  const coalescerApi: CoalescerApi | undefined = coalescer
    ? await startCoalescerApi({
        zone: coalescer,
        zoneName: zone.zoneName,
        status: () => coalescer.status(),
        log: quiet,
        address: "127.0.0.1",
        port: 0,
        token: coalescerToken,
      })
    : undefined;
  const registrarClient = meteredClient("registrar");
  const registrarCalls = new AwsCall(scaledPolicy(DEFAULT_RETRY_POLICY, k));
  // With the coalescer the task events reach it through an SQS queue and ride in its batches; a failed one comes
  // back after the queue's visibility timeout (60 s) and is dead-lettered after three receives, the same delays
  // as Lambda's two retries of an asynchronous invocation below.
  const taskZone = coalescer
    ? new CoalescerTaskZone(coalescer)
    : new Route53TaskZone(registrarClient, async () => zone.hostedZoneId, registrarCalls.call);
  const registrarSettings = {
    zone: zone.zoneName,
    srvTtl: 10,
    routing: "multivalue" as const,
    clusters: [FLEET_CLUSTER_ARN],
  };
  const registrar = {
    invocations: 0,
    failedAttempts: 0,
    deadLettered: 0,
    outcomes: {} as Record<string, number>,
  };
  let eventSeq = 0;
  /** Per task id: its events not yet applied nor dead-lettered (in flight, or waiting for Lambda's retry). */
  const registrarBusy = new Map<string, number>();
  const busy = (taskId: string, d: number) => registrarBusy.set(taskId, (registrarBusy.get(taskId) ?? 0) + d);
  const invoke = (event: unknown, taskId: string, attempt = 0): void => {
    registrar.invocations++;
    if (attempt === 0) busy(taskId, 1);
    track(
      applyTaskEvent(event, { tasks: ecsTasks, zone: taskZone }, registrarSettings).then(
        (r) => {
          registrar.outcomes[r.outcome] = (registrar.outcomes[r.outcome] ?? 0) + 1;
          busy(taskId, -1);
        },
        () => {
          registrar.failedAttempts++;
          const delay = LAMBDA_RETRY_DELAYS_MS[attempt];
          if (delay === undefined) {
            registrar.deadLettered++;
            busy(taskId, -1);
            return;
          }
          track(later(delay / k, () => invoke(event, taskId, attempt + 1)));
        },
      ),
    );
  };
  const ecsEvent = (task: FleetTask, last: TaskStatus, desired: TaskStatus) => {
    const s = ecsTasks.tasks.get(task.taskArn);
    if (!s) return;
    s.version++;
    s.last = last;
    s.desired = desired;
    invoke(taskEvent(task, s.version, last, desired, `fleet-${++eventSeq}`), task.taskId);
  };

  // The agents: the product's client factory, the product's settings, timers scaled with the clock.
  const agentClient = () => meteredClient("agents");
  const startAgent = async (h: number) => {
    const id = hostId(h);
    ownerOf.set(`h:${id}`, { host: h });
    truth.expect(`h:${id}`, true, "start", false);
    // Written through the agent's own codec, as infra/ writes it; timers are its defaults scaled with the clock.
    const scaled = (defaultValue: number) => Math.max(1, Math.round(defaultValue / k));
    const config = loadAgentConfig(
      agentEnvironment({
        zoneName: zone.zoneName,
        zoneId: zone.hostedZoneId,
        route53Endpoint: zone.apiUrl,
        hostId: id,
        hostIp: `10.0.${(h >> 8) & 255}.${h & 255}`,
        flushMs: scaled(SETTINGS.flushMs.default),
        resyncSeconds: scaled(SETTINGS.resyncSeconds.default),
        dnsHoldDownSeconds: scaled(SETTINGS.dnsHoldDownSeconds.default),
        // The simulated containers carry ECS labels with no ECS agent behind them: believe the labels.
        ecsAgentUrl: ECS_CONFIRMATION_OFF,
        ...(coalescerApi && { coalescerUrl: coalescerApi.url, coalescerToken }),
      }),
    );
    try {
      agents[h] = await startHostAgent(config, {
        log: quiet,
        ...(!coalescerApi && { route53: agentClient() }),
        source: docker[h] as FleetDocker,
        backoff: { baseMs: ZONE_BACKOFF.baseMs / k, capMs: ZONE_BACKOFF.capMs / k },
        // Hundreds of agents in one process: no CloudWatch lines on the benchmark's stdout.
        emf: { enabled: false },
      });
      agentStats.started++;
    } catch (err) {
      if (torn.signal.aborted) return;
      agentStats.failedToStart++;
      progress(`  agent ${id} failed to start: ${(err as Error).message}`);
    }
  };

  /** Which writer owns each record key: an agent (by host) or the registrar (by task). */
  const ownerOf = new Map<string, { host?: number; taskId?: string }>();
  const startTask = (task: FleetTask, tracked: boolean) => {
    const dt: DoubleTask = {
      arn: task.taskArn,
      containerInstanceArn: cluster.instances[task.hostIndex]?.arn ?? "",
      desiredStatus: "RUNNING",
    };
    cluster.tasks.push(dt);
    doubleTasks.set(task.taskArn, dt);
    if (task.awsvpc) {
      ownerOf.set(`t:${task.taskId}`, { taskId: task.taskId });
      ownerOf.set(`ti:${task.taskId}:${task.port}`, { taskId: task.taskId });
      truth.expect(`t:${task.taskId}`, true, "start", false);
      truth.expect(`ti:${task.taskId}:${task.port}`, true, "start", tracked);
      ecsTasks.tasks.set(task.taskArn, { task, version: 2, last: "PENDING", desired: "RUNNING" });
      ecsEvent(task, "RUNNING", "RUNNING");
    } else {
      ownerOf.set(`i:${task.taskId}`, { host: task.hostIndex });
      truth.expect(`i:${task.taskId}`, true, "start", tracked);
      docker[task.hostIndex]?.start(task);
    }
  };
  const stopTask = (task: FleetTask) => {
    const dt = doubleTasks.get(task.taskArn);
    if (dt) dt.desiredStatus = "STOPPED";
    if (task.awsvpc) {
      truth.expect(`t:${task.taskId}`, false, "stop", false);
      truth.expect(`ti:${task.taskId}:${task.port}`, false, "stop");
      ecsEvent(task, "RUNNING", "STOPPED");
      for (const phase of STOP_PHASE.slice(0, settings.stopEventsAfterFirst)) {
        track(later(phase.afterMs / k, () => ecsEvent(task, phase.last, "STOPPED")));
      }
    } else {
      truth.expect(`i:${task.taskId}`, false, "stop");
      docker[task.hostIndex]?.stop(task);
    }
  };

  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const otherClient = meteredClient("otherTool");
  let otherTimer: NodeJS.Timeout | undefined;
  let reconcilerTimers: NodeJS.Timeout[] = [];
  const reconcilerResult = { runs: 0, failed: 0, deleted: 0, apiCalls: 0, errors: [] as string[] };
  const setupStarted = performance.now();
  try {
    // Setup, without Route53's limits and not measured: the fleet running before the clock starts.
    if (!plan.agentsStartInScenario) {
      await Promise.all(Array.from({ length: plan.hosts }, (_, h) => startAgent(h)));
      for (const task of plan.initial) startTask(task, false);
      const deadline = performance.now() + (settings.setupTimeoutMs ?? 90_000);
      while (!(truth.equal && pendingWork.size === 0) && performance.now() < deadline) await sleep(50);
      if (!truth.equal)
        throw new Error(`setup did not converge: ${JSON.stringify(truth.differences()).slice(0, 300)}`);
    }
    const setupWallSeconds = (performance.now() - setupStarted) / 1000;
    progress(`  ${plan.name}: set up in ${setupWallSeconds.toFixed(1)} s; running`);

    zone.setFaults(settings.limits);
    meter.reset();
    zone.resetStats();
    Object.assign(registrar, { invocations: 0, failedAttempts: 0, deadLettered: 0, outcomes: {} });
    loopDelay.enable();
    const t0 = performance.now();
    const wallOf = (modelMs: number) => t0 + modelMs / k;

    // The other tool: one request per model second, alternating a small UPSERT of its own record and a read of
    // one page, each tried once (its own retries would only add to its rate).
    let n = 0;
    otherTimer = setInterval(
      () => {
        n++;
        const send =
          n % 2 === 0
            ? changeZone(otherClient, zone.hostedZoneId, [
                {
                  Action: "UPSERT",
                  ResourceRecordSet: {
                    Name: `other-tool.${zone.zoneName}`,
                    Type: "TXT",
                    TTL: 300,
                    ResourceRecords: [{ Value: `"run ${n}"` }],
                  },
                },
              ])
            : otherClient.send(
                new ListResourceRecordSetsCommand({ HostedZoneId: zone.hostedZoneId, MaxItems: 1 }),
              );
        void send.catch(() => {});
      },
      1000 / (settings.otherToolRps * k),
    );

    // The reconciler on its schedule, as the Lambda runs it (health checks off: the simulated containers
    // serve nothing).
    const reconcilerClient = meteredClient("reconciler");
    const rConfig = reconcilerConfig({
      zoneName: zone.zoneName,
      zoneId: zone.hostedZoneId,
      clusters: [FLEET_CLUSTER_ARN],
      checkHealth: false,
    });
    reconcilerTimers = plan.reconcilerAt.map((at) =>
      setTimeout(
        () => {
          reconcilerResult.runs++;
          track(
            reconcile(
              {
                route53: reconcilerClient,
                ecs,
                logger: quiet,
                retryPolicy: scaledPolicy(DEFAULT_RETRY_POLICY, k),
              },
              rConfig,
            ).then(
              (summary) => {
                reconcilerResult.deleted += summary.deleted.total;
                reconcilerResult.apiCalls += summary.apiCalls.total;
              },
              (err: Error) => {
                reconcilerResult.failed++;
                reconcilerResult.errors.push(`${err.name}: ${err.message}`.slice(0, 200));
              },
            ),
          );
        },
        Math.max(0, wallOf(at) - performance.now()),
      ),
    );

    // The plan's happenings, each at its time.
    const happen = (h: Happening) => {
      switch (h.kind) {
        case "agent-start":
          track(startAgent(h.hostIndex));
          return;
        case "start":
          startTask(h.task as FleetTask, true);
          return;
        case "stop":
          stopTask(h.task as FleetTask);
          return;
        case "healthy":
        case "unhealthy": {
          const task = h.task as FleetTask;
          const healthy = h.kind === "healthy";
          truth.expect(`i:${task.taskId}`, healthy, h.kind);
          docker[task.hostIndex]?.setHealth(task, healthy);
          return;
        }
      }
    };
    let next = 0;
    let lastReport = performance.now();
    const boundWall = wallOf(plan.boundAt);
    const lastChangeWall = wallOf(plan.lastChangeAt);
    for (;;) {
      const now = performance.now();
      while (next < plan.happenings.length && wallOf((plan.happenings[next] as Happening).at) <= now) {
        happen(plan.happenings[next] as Happening);
        next++;
      }
      if (now - lastReport > 15_000) {
        lastReport = now;
        const d = truth.differences();
        progress(
          `  ${plan.name}: t=${(((now - t0) * k) / S).toFixed(0)} s (model), ${next}/${plan.happenings.length} happenings, zone differs by ${d.missing.length} missing + ${d.extra.length} extra, ${zone.recordSetCount()} sets`,
        );
      }
      const done = next >= plan.happenings.length && now >= lastChangeWall;
      if (done && truth.equal && truth.equalSince !== undefined && now - truth.equalSince >= 2000 / k) break;
      if (now >= boundWall) break;
      const nextAt =
        next < plan.happenings.length ? wallOf((plan.happenings[next] as Happening).at) : now + 50;
      await sleep(Math.max(1, Math.min(50, nextAt - now)));
    }
    const endWall = performance.now();
    // The measurement ends here; what follows is teardown.
    clearInterval(otherTimer);
    for (const t of reconcilerTimers) clearTimeout(t);
    loopDelay.disable();
    const latencies = truth.latencyReport();
    const diff = truth.differences();
    const lost = lostOf(diff, ownerOf, agents, registrarBusy);
    const equalSince = truth.equalSince;
    const lastTruthChange = Math.max(truth.lastTruthChangeMs, t0);
    const route53 = meter.summary();
    const zoneCalls = zone.stats();
    const result: ScenarioResult = {
      scenario: plan.name,
      description: plan.description,
      latency: Object.fromEntries(
        Object.entries(latencies)
          .filter(([, r]) => r.samples.length + r.notFollowed + r.overtaken > 0)
          .map(([t, r]) => [t, summarise(r, k)]),
      ),
      route53,
      zoneCalls,
      recordSets: {
        peak: peakSets,
        end: zone.recordSetCount(),
        quota: settings.limits.maxRecordSetsPerZone,
      },
      zone: {
        equalAtEnd: truth.equal,
        equalSecondsAfterLastChange:
          truth.equal && equalSince !== undefined
            ? Math.round((Math.max(0, equalSince - lastTruthChange) * k) / 100) / 10
            : null,
        missingAtEnd: diff.missing.length,
        extraAtEnd: diff.extra.length,
        lostMissing: lost.missing,
        lostExtra: lost.extra,
        examples: [
          ...diff.missing.slice(0, 3).map((m) => `missing ${m}`),
          ...diff.extra.slice(0, 3).map((e) => `extra ${e}`),
        ],
        unexpectedWrites: truth.unexpectedAppear,
        unexpectedRemovals: truth.unexpectedVanish,
      },
      // Copies: invocations and runs still in flight at the end must not change the figures afterwards.
      registrar: { ...registrar, outcomes: { ...registrar.outcomes } },
      reconciler: { ...reconcilerResult, errors: [...reconcilerResult.errors] },
      agents: {
        ...agentStats,
        rejectedChanges: agents.reduce((n, a) => n + (a?.loop.rejectedCount ?? 0), 0),
      },
      modelSeconds: Math.round(((endWall - t0) * k) / 100) / 10,
      wallSeconds: Math.round((endWall - t0) / 100) / 10,
      setupWallSeconds: Math.round(setupWallSeconds * 10) / 10,
      eventLoopDelayMs: {
        p50: Math.round(loopDelay.percentile(50) / 1e5) / 10,
        p99: Math.round(loopDelay.percentile(99) / 1e5) / 10,
        max: Math.round(loopDelay.max / 1e5) / 10,
      },
    };
    return result;
  } finally {
    torn.abort();
    clearInterval(otherTimer);
    for (const t of reconcilerTimers) clearTimeout(t);
    await Promise.all(
      agents.map(async (a) => {
        if (!a) return;
        await a.agent.stop();
        await a.loop.stop();
      }),
    );
    await coalescerApi?.close(0);
    await coalescer?.stop(0);
    ecsDouble.restore();
    ecs.destroy();
    await zone.close();
    for (const c of clients) c.destroy();
  }
}

/** The differences at the end that no writer still has queued. */
function lostOf(
  diff: { missing: string[]; extra: string[] },
  ownerOf: ReadonlyMap<string, { host?: number; taskId?: string }>,
  agents: readonly (HostAgent | undefined)[],
  registrarBusy: ReadonlyMap<string, number>,
): { missing: number; extra: number } {
  const pending = new Map<number, Set<string>>();
  const queued = (key: string): boolean => {
    const owner = ownerOf.get(key);
    if (owner?.taskId !== undefined) return (registrarBusy.get(owner.taskId) ?? 0) > 0;
    if (owner?.host === undefined) return false;
    const agent = agents[owner.host];
    if (!agent) return true; // still starting: its first list will find the containers
    let keys = pending.get(owner.host);
    if (!keys) {
      keys = new Set<string>();
      for (const c of agent.loop.pendingChanges()) {
        const key = recordKey({ type: c.recordSet.Type, setIdentifier: c.recordSet.SetIdentifier });
        if (key) keys.add(key);
      }
      pending.set(owner.host, keys);
    }
    return keys.has(key);
  };
  return {
    missing: diff.missing.filter((k) => !queued(k)).length,
    extra: diff.extra.filter((k) => !queued(k)).length,
  };
}

export type { FleetZone };
