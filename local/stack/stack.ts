// The local stack: the whole system on one machine. The local zone and, as the Pulumi program runs one by
// default, the zone's one writer (the coalescer, stackCoalescer.ts) run in this process; the agent and the
// reconciler run as `ecssd` child processes exactly as they would on a host, the agent sending its changes to
// the coalescer (per-host writing, as before, with `coalescer: false`); time, calc and portal
// run as containers built from the project's Dockerfiles, created from the container definitions the Pulumi
// program computes (stackServices.ts). Everything started here is stopped by stop().
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { createResolver } from "@ecssd/resolver";
import pino from "pino";
import { agentEnvironment } from "../../agent/config";
import { EXAMPLE_NAMES, EXAMPLE_SERVICES, type ExampleName } from "../../examples/manifest";
import { buildImage } from "../../images/imageBuilder";
import { exampleFamily, exampleServiceOwners } from "../../infra/exampleClaims";
import { ApiCalls } from "../../reconciler/apiCalls";
import { reconcilerEnvironment } from "../../reconciler/config";
import {
  DEFAULT_MAX_PORTS_PER_CONTAINER,
  DEFAULT_SRV_TTL,
  DEFAULT_ZONE,
  deploymentFromName,
  ownershipRules,
  type ServiceOwners,
  serviceOwnersFrom,
} from "../../records";
import { CoalescerTaskZone } from "../../registrar/coalescerTaskZone";
import { applyLogged, type EventApplier } from "../../registrar/handler";
import type { TaskZone } from "../../registrar/registrar";
import { Route53TaskZone } from "../../registrar/route53TaskZone";
import { hostedZoneRecordSetUsage, QuotaWarning, route53Client } from "../../route53";
import { type LocalZone, ROUTE53_LIMITS, startLocalZone } from "../zone";
import { LocalAwsvpcTasks, localTaskArn, newTaskId } from "./awsvpcTasks";
import { LocalEcsIntrospection } from "./ecsIntrospectionServer";
import { NO_COALESCER, type StackCoalescer, startStackCoalescer } from "./stackCoalescer";
import { StackContainers } from "./stackContainers";
import {
  LOCAL_HOST_ID,
  type LocalExampleInputs,
  localDefinition,
  localExampleContainer,
} from "./stackServices";
import { clearStackState, readStackState, writeStackName, writeStackState } from "./stackState";

export { LOCAL_HOST_ID } from "./stackServices";

const REPO_ROOT = join(__dirname, "..", "..");
/** The Pulumi project's name (Pulumi.yaml), which the examples' task families carry, here as on AWS. */
const PROJECT = "ecssd";
const ECSSD = join(REPO_ROOT, "bin", "ecssd.js");

export interface StackOptions {
  /** Marks this stack's containers and prefixes their names; lets tests run beside a developer's stack. */
  stackName?: string;
  apiPort: number;
  dnsPort: number;
  portalPort: number;
  zoneName: string;
  username: string;
  password: string;
  /** Logs of the child processes and the state file for `stack down`/`stack status`. */
  stateDir: string;
  timeInstances: number;
  calcInstances: number;
  /**
   * time's Fargate variant, run as awsvpc tasks on loopback addresses of their own (127.0.0.2, ...) and
   * registered by the registrar's code from their Docker lifecycle.
   */
  awsvpcTimeInstances: number;
  /** The awsvpc tasks' addresses are this prefix and 2, 3, ... Default `127.0.0.` (127.0.0.2 upwards). */
  awsvpcAddressPrefix?: string;
  reconcileSeconds: number;
  /**
   * Runs the zone's one writer, the coalescer, as the Pulumi program does by default: the agent sends it its
   * changes and the awsvpc tasks' events are applied through it. false: every writer writes Route53 itself.
   * Default true.
   */
  coalescer?: boolean;
  /** Progress lines for the person at the terminal. */
  say: (line: string) => void;
}

export const STACK_DEFAULTS = {
  apiPort: 5380,
  dnsPort: 5300,
  portalPort: EXAMPLE_SERVICES.portal.containerPort,
  zoneName: DEFAULT_ZONE,
  timeInstances: EXAMPLE_SERVICES.time.desiredCount,
  calcInstances: EXAMPLE_SERVICES.calc.desiredCount,
  awsvpcTimeInstances: EXAMPLE_SERVICES.time.fargateCount,
  reconcileSeconds: 30,
} as const;

export interface RunningStack {
  zone: LocalZone;
  portalUrl: string;
  /** What a person needs to use the stack, printed by `stack up`. */
  banner: string;
  containers: StackContainers;
  /** Starts one more instance of a service; resolves with its container name. */
  startInstance(service: "time" | "calc"): Promise<string>;
  /** The awsvpc tasks (time's Fargate variant): started, stopped as ECS would, and listed. */
  awsvpcTasks: LocalAwsvpcTasks;
  /** The coalescer, unless the stack was started without one. */
  coalescer?: StackCoalescer;
  /** Every example container the stack runs, by name. */
  instanceNames(): string[];
  stop(): Promise<void>;
}

/**
 * Who may offer which name in a local stack: as in the examples' stack on AWS (Pulumi.dev.yaml), the examples'
 * names are claimed by their own task families, and the namespace is closed, so no other container on this
 * machine can join their pools or offer any other name.
 */
export function stackOwnership(stackName: string): {
  serviceOwners: ServiceOwners;
  serviceOwnersClosed: true;
} {
  const checked = serviceOwnersFrom(exampleServiceOwners(PROJECT, stackName));
  if ("problems" in checked) throw new Error(checked.problems.map((p) => p.message).join("; "));
  return { serviceOwners: checked.owners, serviceOwnersClosed: true };
}

export class StackAlreadyRunningError extends Error {
  override name = "StackAlreadyRunningError";
}

export async function stackUp(opts: StackOptions): Promise<RunningStack> {
  const started = Date.now();
  const running = readStackState(opts.stateDir);
  if (running) {
    throw new StackAlreadyRunningError(
      `a local stack is already running (process ${running.pid}, portal ${running.portalUrl}); stop it with \`npx ecssd stack down\``,
    );
  }
  const stackName = opts.stackName ?? "local";
  // What the ECS agent's introspection API says on an EC2 host, for the containers this stack starts.
  const ecsIntrospection = new LocalEcsIntrospection();
  const containers = new StackContainers(stackName, undefined, ecsIntrospection);
  await containers.ping();
  const leftovers = await containers.removeAll();
  if (leftovers > 0) opts.say(`removed ${leftovers} container(s) left by an earlier stack`);
  mkdirSync(opts.stateDir, { recursive: true });
  writeStackName(opts.stateDir, stackName);

  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((err: unknown) => opts.say(`while stopping: ${(err as Error).message}`));
    }
    clearStackState(opts.stateDir);
  };

  try {
    // Route53's limits, as `ecssd zone` applies them: what runs here meets the same throttling and quota.
    const zone = await startLocalZone({
      apiPort: opts.apiPort,
      dnsPort: opts.dnsPort,
      zoneName: opts.zoneName,
      faults: ROUTE53_LIMITS,
    });
    cleanups.push(() => zone.close());
    opts.say(`local zone: Route53 API ${zone.apiUrl}, DNS ${zone.dns.host}:${zone.dns.port}`);
    // Started before the agent, stopped after it (cleanups run in reverse): the agent's last changes go
    // through it, and it sends them before the zone closes.
    let coalescer: StackCoalescer | undefined;
    if (opts.coalescer ?? true) {
      const started = await startStackCoalescer(zone, join(opts.stateDir, "coalescer.log"));
      coalescer = started;
      cleanups.push(() => started.stop());
      opts.say(`coalescer: ${started.url} (the zone's one writer)`);
    }

    opts.say(`building images: ${EXAMPLE_NAMES.join(", ")}`);
    const built = await Promise.all(EXAMPLE_NAMES.map((example) => buildImage(example)));
    const images = Object.fromEntries(EXAMPLE_NAMES.map((example, i) => [example, built[i]])) as Record<
      ExampleName,
      string
    >;

    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_REGION: process.env.AWS_REGION ?? "us-east-1",
    };
    const localZone = { zoneName: zone.zoneName, zoneId: zone.hostedZoneId, route53Endpoint: zone.apiUrl };
    // Every writer marks its sets with the stack: several local stacks may share one zone.
    const deployment = deploymentFromName(stackName);
    const ownership = stackOwnership(stackName);
    const ecsAgentUrl = await ecsIntrospection.listen();
    cleanups.push(() => ecsIntrospection.close());
    const agentEnv = agentEnvironment({
      ...localZone,
      hostId: LOCAL_HOST_ID,
      hostIp: "127.0.0.1",
      ecsAgentUrl,
      // One machine is one AZ, and no metadata endpoint here can say which: no AZ set, and no warning about it.
      azId: "off",
      ...ownership,
      deployment,
      ...(coalescer && { coalescerUrl: coalescer.url, coalescerToken: coalescer.token }),
    });
    const agent = superviseAgent({ ...childEnv, ...agentEnv }, opts);
    cleanups.push(() => agent.stop());

    // The one host of this machine: the reconciler reads its containers from Docker, as the agent does.
    const reconcilerEnv = reconcilerEnvironment({
      ...localZone,
      inventory: "docker",
      hostId: LOCAL_HOST_ID,
      ...ownership,
      deployment,
    });
    const reconciler = reconcileOnTimer({ ...childEnv, ...reconcilerEnv }, opts);
    cleanups.push(() => reconciler.stop());

    cleanups.push(async () => {
      await containers.removeAll();
    });
    const local = (example: ExampleName): LocalExampleInputs => ({
      stackName,
      image: images[example],
      zoneName: zone.zoneName,
      dnsPort: zone.dns.port,
      portalPort: opts.portalPort,
      username: opts.username,
      password: opts.password,
    });
    const names: string[] = [];
    const start = async (example: ExampleName, containerName: string) => {
      const ecsTask = {
        taskArn: localTaskArn(newTaskId()),
        family: exampleFamily(PROJECT, stackName, example),
      };
      await containers.start(localExampleContainer(example, containerName, local(example), ecsTask).options);
      names.push(containerName);
      return containerName;
    };
    const counters = { time: 0, calc: 0 };
    const startInstance = (service: "time" | "calc") => {
      counters[service] += 1;
      return start(service, `ecssd-${stackName}-${service}-${counters[service]}`);
    };
    const starts: Promise<string>[] = [];
    for (let i = 0; i < opts.timeInstances; i++) starts.push(startInstance("time"));
    for (let i = 0; i < opts.calcInstances; i++) starts.push(startInstance("calc"));
    await Promise.all(starts);

    // time's Fargate variant: awsvpc tasks whose records the registrar's code keeps from their lifecycle.
    const registrarLog = pino(
      { name: "ecssd-registrar" },
      pino.destination(join(opts.stateDir, "registrar.log")),
    );
    const calls = new ApiCalls();
    const quotaWarning = new QuotaWarning(registrarLog);
    const tasksZone = registrarZone(zone, coalescer, calls, deployment);
    const { quota } = tasksZone;
    const awsvpcTasks = new LocalAwsvpcTasks({
      docker: containers.docker,
      containers,
      zone: tasksZone.zone,
      settings: {
        zone: zone.zoneName,
        srvTtl: DEFAULT_SRV_TTL,
        routing: "multivalue",
        // The registrar's code in-process: the rules its settings (ECSSD_SERVICE_OWNERS[_CLOSED]) would give it.
        serviceOwners: ownershipRules(ownership.serviceOwners, ownership.serviceOwnersClosed),
        deployment,
        maxPortsPerContainer: DEFAULT_MAX_PORTS_PER_CONTAINER,
      },
      log: (event, apply) =>
        applyLogged({ apply, calls, ...(quota && { quota }) }, event, registrarLog, quotaWarning).then(
          () => undefined,
        ),
    });
    await awsvpcTasks.watch();
    cleanups.push(async () => {
      await awsvpcTasks.close();
      tasksZone.close();
    });
    for (let i = 0; i < opts.awsvpcTimeInstances; i++) {
      // 127.0.0.2 upwards by default: the tasks' "ENI" addresses, each its own, all on this machine's loopback.
      await awsvpcTasks.start(
        localDefinition("time", local("time"), "awsvpc"),
        exampleFamily(PROJECT, stackName, "time", true),
        `${opts.awsvpcAddressPrefix ?? "127.0.0."}${i + 2}`,
        `ecssd-${stackName}-time-awsvpc-${i + 1}`,
        { AUTH_USERNAME: opts.username, AUTH_PASSWORD: opts.password },
      );
    }
    await start("portal", `ecssd-${stackName}-portal`);
    const portalUrl = `http://127.0.0.1:${opts.portalPort}/`;

    opts.say("waiting for the services to register and the portal to answer");
    await waitUntilReady(zone, portalUrl, opts);

    writeStackState(opts.stateDir, {
      pid: process.pid,
      agentPid: agent.pid(),
      apiUrl: zone.apiUrl,
      dns: zone.dns,
      hostedZoneId: zone.hostedZoneId,
      zoneName: zone.zoneName,
      portalUrl,
      ...(coalescer && { coalescerUrl: coalescer.url, coalescerToken: coalescer.token }),
      startedAt: new Date(started).toISOString(),
    });
    const banner = [
      `The local stack is up (${((Date.now() - started) / 1000).toFixed(1)} s).`,
      `  portal:       ${portalUrl}`,
      `  credentials:  ${opts.username} / ${opts.password}   (the services' basic auth; set ECSSD_STACK_USERNAME/ECSSD_STACK_PASSWORD to change)`,
      `  records:      dig @127.0.0.1 -p ${zone.dns.port} SRV ${EXAMPLE_SERVICES.calc.offers}.${zone.zoneName}`,
      `  Route53 API:  ${zone.apiUrl}   (hosted zone ${zone.hostedZoneId})`,
      coalescer
        ? `  coalescer:    ${coalescer.url}   (the zone's one writer; --no-coalescer: each writer writes Route53 itself)`
        : `  coalescer:    ${NO_COALESCER}`,
      `  status:       npx ecssd stack status`,
      `  logs:         ${opts.stateDir}/agent.log, ${opts.stateDir}/reconciler.log, ${opts.stateDir}/registrar.log${coalescer ? `, ${opts.stateDir}/coalescer.log` : ""}`,
      "Press Ctrl-C (or run `npx ecssd stack down`) to remove everything it started.",
    ].join("\n");
    return {
      zone,
      portalUrl,
      banner,
      containers,
      startInstance,
      awsvpcTasks,
      ...(coalescer && { coalescer }),
      instanceNames: () => [...names],
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Where the stack's registrar applies the awsvpc tasks' events. With the coalescer, as the coalescer applies
 * task events on AWS (without the queue): the writes ride in its shared batches, its copy answers the reads, and
 * it warns of a full zone itself. Without it, to Route53, as the registrar Lambda writes, warning of a full zone.
 */
function registrarZone(
  zone: LocalZone,
  coalescer: StackCoalescer | undefined,
  calls: ApiCalls,
  deployment: string,
): { zone: TaskZone; quota?: EventApplier["quota"]; close(): void } {
  if (coalescer) return { zone: new CoalescerTaskZone(coalescer.core, deployment), close: () => undefined };
  const client = route53Client({ endpoint: zone.apiUrl });
  const call = calls.call.bind(calls);
  return {
    zone: new Route53TaskZone(client, async () => zone.hostedZoneId, call, deployment),
    quota: {
      zone: async () => ({ name: zone.zoneName, id: zone.hostedZoneId }),
      usage: () => hostedZoneRecordSetUsage(client, zone.hostedZoneId, call),
    },
    close: () => client.destroy(),
  };
}

async function waitUntilReady(zone: LocalZone, portalUrl: string, opts: StackOptions): Promise<void> {
  const resolver = createResolver({
    servers: [`${zone.dns.host}:${zone.dns.port}`],
    maxCacheEntries: 0,
    domain: zone.zoneName,
  });
  const want: Array<[string, number]> = [
    [`${EXAMPLE_SERVICES.time.offers}.${zone.zoneName}`, opts.timeInstances + opts.awsvpcTimeInstances],
    [`${EXAMPLE_SERVICES.calc.offers}.${zone.zoneName}`, opts.calcInstances],
  ];
  const deadline = Date.now() + 180_000;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const counts = await Promise.all(want.map(([name]) => resolver.resolve(name).then((e) => e.length)));
      const registered = want.every(([, n], i) => (counts[i] ?? 0) >= n);
      if (registered) {
        const res = await fetch(new URL("calc/1%2B1", portalUrl), { signal: AbortSignal.timeout(3000) });
        if (res.ok) return;
        last = `portal answered ${res.status}`;
      } else {
        last = `registered: time ${counts[0]}/${want[0]?.[1]}, calc ${counts[1]}/${want[1]?.[1]}`;
      }
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `the stack did not become ready within 180 s (last: ${last}); see ${opts.stateDir}/agent.log`,
  );
}

interface Supervised {
  pid(): number | undefined;
  stop(): Promise<void>;
}

/** Runs `ecssd agent`, restarting it (after a pause) if it ever exits while the stack is up. */
function superviseAgent(env: NodeJS.ProcessEnv, opts: StackOptions): Supervised {
  const log = openSync(join(opts.stateDir, "agent.log"), "a");
  let child: ChildProcess | undefined;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  const launch = () => {
    child = spawn(process.execPath, [ECSSD, "agent"], { env, stdio: ["ignore", log, log] });
    child.once("exit", (code, signal) => {
      if (stopping) return;
      opts.say(`agent exited (${signal ?? `code ${code}`}); restarting it in 2 s — see agent.log`);
      restartTimer = setTimeout(launch, 2000);
    });
  };
  launch();
  return {
    pid: () => child?.pid,
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      await terminate(child);
      closeSync(log);
    },
  };
}

/** Runs `ecssd reconcile` every few seconds, never two at once, as the scheduled Lambda would on AWS. */
function reconcileOnTimer(env: NodeJS.ProcessEnv, opts: StackOptions): Supervised {
  const log = openSync(join(opts.stateDir, "reconciler.log"), "a");
  let child: ChildProcess | undefined;
  let stopped = false;
  const timer = setInterval(() => {
    if (child || stopped) return;
    child = spawn(process.execPath, [ECSSD, "reconcile"], { env, stdio: ["ignore", log, log] });
    child.once("exit", () => {
      child = undefined;
    });
  }, opts.reconcileSeconds * 1000);
  return {
    pid: () => child?.pid,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await terminate(child);
      closeSync(log);
    },
  };
}

async function terminate(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}
