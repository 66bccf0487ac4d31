// The fleet benchmark's scenarios as plans: which tasks run before the clock starts, and what happens when,
// in model time (the fleet's own seconds, before any time scaling). Pure and seeded: the same plan every run.
import { seededRandom } from "../../test/kit/seededRandom";
import { type FleetTask, fleetTask } from "./fleetHosts";

export type HappeningKind = "agent-start" | "start" | "stop" | "healthy" | "unhealthy";

export interface Happening {
  /** Model milliseconds after the scenario's start. */
  at: number;
  kind: HappeningKind;
  /** The host of an agent-start. */
  hostIndex: number;
  task?: FleetTask;
}

export interface ScenarioPlan {
  name: "cold-start" | "rolling-deploy" | "steady-churn";
  /** What the scenario means, for the report. */
  description: string;
  hosts: number;
  /** Agents run, with these tasks, before the clock starts (set up without Route53's limits, not measured). */
  initial: FleetTask[];
  /** Agents start during the scenario (cold start); otherwise they run from the setup. */
  agentsStartInScenario: boolean;
  happenings: Happening[];
  /** Model ms of the last change of the truth. */
  lastChangeAt: number;
  /** Model ms after which the scenario ends whatever the zone says. */
  boundAt: number;
  /** Model ms of the reconciler's scheduled runs. */
  reconcilerAt: number[];
}

export interface PlanSizes {
  hosts: number;
  /** Cold start: containers per host. */
  containersPerHost: number;
  /** Rolling deploy and steady churn: tasks of the fleet. */
  tasks: number;
  /** Share of the fleet's tasks in awsvpc mode (the registrar's). */
  awsvpcShare: number;
  /** Instances per service name at most, about (Route53: 100 multivalue sets per name and type). */
  instancesPerService: number;
}

const S = 1000;
/** The reconciler's schedule: rate(5 minutes); the first run this far into a scenario. */
export const RECONCILER_PERIOD_MS = 300 * S;
const RECONCILER_FIRST_MS = 150 * S;
/** ECS stops the old task of a replacement this long after its new one started (it is RUNNING and healthy). */
const REPLACEMENT_OVERLAP_MS = 5 * S;

/** Runs within the scenario: the first 150 s in, or halfway to its last change when that comes sooner. */
function reconcilerRuns(lastChangeAt: number, boundAt: number): number[] {
  const out: number[] = [];
  const first = Math.min(RECONCILER_FIRST_MS, lastChangeAt / 2);
  for (let t = first; t < boundAt; t += RECONCILER_PERIOD_MS) out.push(t);
  return out;
}

function byTime(a: Happening, b: Happening): number {
  return a.at - b.at;
}

/**
 * A scenario's plan from what it is and its happenings: sorted by time, ending at `boundAt` (given the last
 * change), with the reconciler's scheduled runs up to that end.
 */
function planOf(
  scenario: Pick<ScenarioPlan, "name" | "description" | "hosts" | "initial" | "agentsStartInScenario">,
  happenings: Happening[],
  boundAtAfter: (lastChangeAt: number) => number,
): ScenarioPlan {
  happenings.sort(byTime);
  const lastChangeAt = happenings.at(-1)?.at ?? 0;
  const boundAt = boundAtAfter(lastChangeAt);
  return {
    ...scenario,
    happenings,
    lastChangeAt,
    boundAt,
    reconcilerAt: reconcilerRuns(lastChangeAt, boundAt),
  };
}

/** A replacement as ECS makes it: the new task starts at `at`, the old one stops once the new one runs. */
function replaced(old: FleetTask, task: FleetTask, at: number): Happening[] {
  return [
    { at, kind: "start", hostIndex: task.hostIndex, task },
    { at: at + REPLACEMENT_OVERLAP_MS, kind: "stop", hostIndex: old.hostIndex, task: old },
  ];
}

/**
 * Cold start: a new cluster. Every host's agent starts within the first 10 s (instances booting), and every
 * host's containers start at uniformly random times within `windowS`. All bridge tasks: the agents' work.
 */
export function coldStartPlan(sizes: PlanSizes, opts: { windowS: number; settleS: number }): ScenarioPlan {
  const random = seededRandom(26_1);
  const services = serviceCount(sizes.hosts * sizes.containersPerHost, sizes.instancesPerService);
  const happenings: Happening[] = [];
  for (let h = 0; h < sizes.hosts; h++)
    happenings.push({ at: random() * 10 * S, kind: "agent-start", hostIndex: h });
  let i = 0;
  for (let h = 0; h < sizes.hosts; h++) {
    for (let c = 0; c < sizes.containersPerHost; c++, i++) {
      const task = fleetTask(i, h, { awsvpc: false, services });
      happenings.push({ at: random() * opts.windowS * S, kind: "start", hostIndex: h, task });
    }
  }
  return planOf(
    {
      name: "cold-start",
      description: `${sizes.hosts} hosts × ${sizes.containersPerHost} containers start within ${opts.windowS} s (a new cluster: agents start in the first 10 s)`,
      hosts: sizes.hosts,
      initial: [],
      agentsStartInScenario: true,
    },
    happenings,
    () => opts.windowS * S + opts.settleS * S,
  );
}

/** The running fleet of the deploy and churn scenarios: `tasks` tasks spread over the hosts. */
function initialFleet(sizes: PlanSizes, random: () => number, healthCheckedShare: number): FleetTask[] {
  const services = serviceCount(sizes.tasks * 2, sizes.instancesPerService);
  const out: FleetTask[] = [];
  for (let i = 0; i < sizes.tasks; i++) {
    const awsvpc = random() < sizes.awsvpcShare;
    out.push(
      fleetTask(i, i % sizes.hosts, {
        awsvpc,
        services,
        healthChecked: !awsvpc && random() < healthCheckedShare,
      }),
    );
  }
  return out;
}

/** A replacement of `old`: a new task of the same service and mode on a random host. */
function replacement(old: FleetTask, index: number, sizes: PlanSizes, random: () => number): FleetTask {
  const services = serviceCount(sizes.tasks * 2, sizes.instancesPerService);
  const t = fleetTask(index, Math.floor(random() * sizes.hosts), { awsvpc: old.awsvpc, services });
  return { ...t, service: old.service };
}

/**
 * Rolling deploy: every task of the fleet replaced within `windowS`, each a start of the new task and, once it
 * runs, a stop of the old one.
 */
export function rollingDeployPlan(
  sizes: PlanSizes,
  opts: { windowS: number; settleS: number },
): ScenarioPlan {
  const random = seededRandom(26_2);
  const initial = initialFleet(sizes, random, 0);
  const happenings: Happening[] = [];
  initial.forEach((old, k) => {
    const at = random() * (opts.windowS * S - REPLACEMENT_OVERLAP_MS);
    happenings.push(...replaced(old, replacement(old, sizes.tasks + k, sizes, random), at));
  });
  return planOf(
    {
      name: "rolling-deploy",
      description: `${sizes.tasks} tasks (${Math.round(sizes.awsvpcShare * 100)}% awsvpc) on ${sizes.hosts} hosts replaced within ${opts.windowS} s, a start and a stop each`,
      hosts: sizes.hosts,
      initial,
      agentsStartInScenario: false,
    },
    happenings,
    (lastChangeAt) => lastChangeAt + opts.settleS * S,
  );
}

/**
 * Steady churn: tasks replaced at a steady rate, and one bridge container in fifty flapping its Docker
 * HEALTHCHECK (unhealthy, then healthy again, every `flapS` seconds, each at its own phase).
 */
export function steadyChurnPlan(
  sizes: PlanSizes,
  opts: { windowS: number; settleS: number; replacementsPerMinute: number; flapS: number },
): ScenarioPlan {
  const random = seededRandom(26_3);
  const initial = initialFleet(sizes, random, 1 / 50);
  const happenings: Happening[] = [];
  const window = opts.windowS * S;
  const replacements = Math.round((opts.replacementsPerMinute * opts.windowS) / 60);
  const candidates = initial.filter((t) => !t.healthChecked);
  for (let k = 0; k < replacements && candidates.length > 0; k++) {
    const old = candidates.splice(Math.floor(random() * candidates.length), 1)[0] as FleetTask;
    const at = ((k + random()) / replacements) * (window - REPLACEMENT_OVERLAP_MS);
    happenings.push(...replaced(old, replacement(old, sizes.tasks + k, sizes, random), at));
  }
  const flap = opts.flapS * S;
  for (const task of initial.filter((t) => t.healthChecked)) {
    let healthy = true;
    for (let at = random() * flap; at < window; at += flap) {
      healthy = !healthy;
      happenings.push({ at, kind: healthy ? "healthy" : "unhealthy", hostIndex: task.hostIndex, task });
    }
  }
  const flapping = initial.filter((t) => t.healthChecked).length;
  return planOf(
    {
      name: "steady-churn",
      description: `${sizes.tasks} tasks on ${sizes.hosts} hosts, ${opts.replacementsPerMinute} replaced a minute, ${flapping} containers (1 in 50 of the bridge ones) flapping their health check every ${opts.flapS} s, for ${opts.windowS} s`,
      hosts: sizes.hosts,
      initial,
      agentsStartInScenario: false,
    },
    happenings,
    () => window + opts.settleS * S,
  );
}

/** Enough service names that none has more than `perService` instances. */
function serviceCount(instances: number, perService: number): number {
  return Math.max(1, Math.ceil(instances / perService));
}
