// `npm run bench -- fleet`: a fleet, not a host. Hundreds of simulated hosts run the real agent code (Docker
// simulated, one Route53 client each, the real SDK over HTTP), the registrar applies the task events of awsvpc
// tasks, the reconciler runs on its schedule and one other tool of the account makes one request a second, all
// against one local zone with Route53's current limits (ROUTE53_LIMITS). Three scenarios: cold start, rolling
// deploy, steady churn with flapping health checks. Per scenario: start → in the zone and stop → out of the
// zone (p50/p99), Route53 requests, changes and throttled attempts per writer, the other tool's throttled
// share, record sets against the quota, whether (and when) the zone equalled the truth, and what was lost.
//
// The zone is watched in-process (bench/support/fleetZone.ts): each applied batch tells the bench which names
// it touched, read straight from the store, so observing costs no request and no token of any bucket.
//
// Settings (environment): FLEET_HOSTS (500), FLEET_CONTAINERS (20 per host, cold start), FLEET_TASKS (2,000),
// FLEET_TIME_SCALE (model seconds per wall second; default 1, real time, unless the scenarios would not fit 13
// minutes of wall time, then just enough to fit), FLEET_SCENARIOS (cold,deploy,churn),
// FLEET_MAX_RECORD_SETS (Route53's 10,000; FLEET_COLD_MAX_RECORD_SETS, 12,000, in the cold start), FLEET_WRITER
// (coalescer, the default: one writer per zone; direct: every agent and registrar invocation writes), FLEET_QUICK=1 (a smoke run: 50 hosts, 5 containers, 200 tasks,
// shorter windows, the limits' rates and bursts scaled down with the fleet). See bench/support/fleetSettings.ts.
import { runScenario, type ScenarioResult } from "./support/fleetRun";
import {
  coldStartPlan,
  type PlanSizes,
  rollingDeployPlan,
  type ScenarioPlan,
  steadyChurnPlan,
} from "./support/fleetScenarios";
import {
  type FleetSettings,
  fleetSettings,
  plannedModelSeconds,
  scaledLimits,
} from "./support/fleetSettings";

export function fleetPlans(s: FleetSettings): ScenarioPlan[] {
  const sizes: PlanSizes = {
    hosts: s.hosts,
    containersPerHost: s.containersPerHost,
    tasks: s.tasks,
    awsvpcShare: 0.2,
    instancesPerService: 50,
  };
  const plans: ScenarioPlan[] = [];
  if (s.scenarios.includes("cold"))
    plans.push(coldStartPlan(sizes, { windowS: s.coldWindowS, settleS: s.coldSettleS }));
  if (s.scenarios.includes("deploy"))
    plans.push(rollingDeployPlan(sizes, { windowS: s.deployWindowS, settleS: s.deploySettleS }));
  if (s.scenarios.includes("churn"))
    plans.push(
      steadyChurnPlan(sizes, {
        windowS: s.churnWindowS,
        settleS: s.churnSettleS,
        replacementsPerMinute: s.churnPerMinute,
        flapS: 30,
      }),
    );
  return plans;
}

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? "never" : `${v.toFixed(1)} s`);
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

function print(r: ScenarioResult): void {
  console.log(`## ${r.scenario}: ${r.description}`);
  for (const [t, l] of Object.entries(r.latency)) {
    const label =
      t === "start" ? "start → in the zone" : t === "stop" ? "stop → out of the zone" : `${t} → zone follows`;
    console.log(
      `  ${label}: p50 ${fmt(l.p50)}, p99 ${fmt(l.p99)}, max ${fmt(l.max)} over ${l.transitions} (${l.notFollowed} not followed by the end, ${l.overtaken} overtaken by the next change)`,
    );
  }
  const all = r.route53.all;
  if (all) {
    console.log(
      `  Route53: ${all.requests} requests, ${all.throttled} throttled (${pct(all.throttledShare)}), ${all.changes} changes (${all.changeTokens} change tokens); by action ${JSON.stringify(all.requestsByAction)}`,
    );
  }
  for (const w of ["coalescer", "agents", "registrar", "reconciler", "otherTool"]) {
    const c = r.route53[w];
    if (!c) continue;
    console.log(
      `    ${w}: ${c.requests} requests, ${c.throttled} throttled (${pct(c.throttledShare)}), ${c.changes} changes${Object.keys(c.failed).length ? `, other failures ${JSON.stringify(c.failed)}` : ""}`,
    );
  }
  console.log(
    `  the other tool: throttled on ${pct(r.route53.otherTool?.throttledShare ?? 0)} of its requests`,
  );
  console.log(
    `  record sets: peak ${r.recordSets.peak}, end ${r.recordSets.end}, quota ${r.recordSets.quota ?? "none"}`,
  );
  console.log(
    `  zone equal to the truth at the end: ${r.zone.equalAtEnd ? `yes, ${fmt(r.zone.equalSecondsAfterLastChange)} after the last change` : `no (${r.zone.missingAtEnd} missing, ${r.zone.extraAtEnd} extra: ${r.zone.examples.join(", ")})`}`,
  );
  console.log(
    `  lost (no writer still working on it): ${r.zone.lostMissing} record sets missing, ${r.zone.lostExtra} left behind (of ${r.zone.missingAtEnd} missing and ${r.zone.extraAtEnd} extra at the end; the rest still queued); ${r.registrar.deadLettered} registrar events dead-lettered, ${r.agents.rejectedChanges} changes agents gave up on, ${r.agents.failedToStart} agents that failed to start`,
  );
  console.log(
    `  registrar: ${r.registrar.invocations} invocations, ${r.registrar.failedAttempts} failed (retried as Lambda does); reconciler: ${r.reconciler.runs} runs, ${r.reconciler.failed} failed, ${r.reconciler.deleted} deleted${r.reconciler.errors.length ? `; ${r.reconciler.errors[0]}` : ""}`,
  );
  console.log(
    `  ran ${r.modelSeconds} s of fleet time in ${r.wallSeconds} s (setup ${r.setupWallSeconds} s); event loop delay p99 ${r.eventLoopDelayMs.p99} ms, max ${r.eventLoopDelayMs.max} ms`,
  );
}

export async function main(): Promise<void> {
  const started = performance.now();
  const s = fleetSettings(process.env);
  const limits = scaledLimits(s);
  console.log(
    `fleet: ${s.hosts} hosts; writer ${s.writer}; cold start ${s.hosts} × ${s.containersPerHost}; deploy and churn ${s.tasks} tasks; time scale ${s.timeScale} (model seconds per wall second: every rate × ${s.timeScale}, every duration and timer ÷ ${s.timeScale}, measured times × ${s.timeScale}); fleet scale ${s.fleetScale} of the issue's 500 hosts (limits' rates, bursts and quota × ${s.fleetScale})`,
  );
  console.log(`limits as applied (wall time): ${JSON.stringify(limits)}`);
  console.log(
    `scenarios take at most ${plannedModelSeconds(s)} s of fleet time, ${Math.round(plannedModelSeconds(s) / s.timeScale)} s of wall time, plus each one's setup`,
  );
  const results: ScenarioResult[] = [];
  for (const plan of fleetPlans(s)) {
    const r = await runScenario(plan, {
      limits: plan.name === "cold-start" ? { ...limits, maxRecordSetsPerZone: s.coldMaxRecordSets } : limits,
      writer: s.writer,
      timeScale: s.timeScale,
      stopEventsAfterFirst: 3,
      otherToolRps: s.otherToolRps,
      progress: (line) => process.stderr.write(`${line}\n`),
    });
    print(r);
    results.push(r);
  }
  console.log(
    JSON.stringify({
      bench: "fleet",
      settings: { ...s, limitsApplied: limits },
      mapping: `times are fleet seconds (wall × ${s.timeScale}); counts and shares are as measured`,
      scenarios: results,
      seconds: Math.round((performance.now() - started) / 1000),
    }),
  );
}
