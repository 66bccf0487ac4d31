// `npm run bench -- registrar`: 1,000 ECS Task State Change events — 600 awsvpc tasks start, 400 of them stop —
// delivered as EventBridge does: 10% of them twice, 10% late (after events that happened after them), eight
// at a time (concurrent Lambda invocations), against the local zone's Route53 API with throttling on. Reports
// Route53 calls per event (every attempt, throttled ones included), records lost (a running task without its
// records) and left behind (a stopped task's records), and whether the final zone equals the truth.
//
// ECS here is an in-process model of the truth (the task as DescribeTasks would say it at the moment it is
// asked), so that what is measured is the registrar's work on the zone; the registrar against moto's ECS is
// tested in test/registrar/registrar.test.ts.

import { startLocalZone } from "../local/zone";
import { parseSetIdentifier } from "../records";
import { applyTaskEvent, type TaskSource } from "../registrar/registrar";
import { Route53TaskZone } from "../registrar/route53TaskZone";
import type { DescribedTask } from "../registrar/taskAction";
import type { TaskDefinitionShape } from "../registrar/taskDeclarations";
import { ApiCalls, listZoneRecordSets, route53Client } from "../route53";
import { seededRandom } from "../test/kit/seededRandom";

const TASKS = 600;
const STOPPED = 400;
const DUPLICATE_SHARE = 0.1;
const LATE_SHARE = 0.1;
const CONCURRENCY = 8;
/** Route53 allows 5 requests/s per account; 25 keeps this run near a minute while every writer still meets Throttling. */
const THROTTLE_RPS = 25;
const CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/apps";
/** Route53 holds at most 100 multivalue record sets per name: the tasks are spread over this many services. */
const SERVICES = 10;
/** Lambda retries a failed asynchronous invocation twice before the event goes to the dead-letter queue. */
const RETRIES = 2;
const definitionArn = (i: number) =>
  `arn:aws:ecs:us-east-1:123456789012:task-definition/svc${i % SERVICES}:1`;

interface Happening {
  /** Position in the real timeline. */
  at: number;
  taskIndex: number;
  stop: boolean;
}

const taskId = (i: number) => i.toString(16).padStart(32, "0");
const address = (i: number) => `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;

function event(h: Happening, id: number): unknown {
  const i = h.taskIndex;
  return {
    version: "0",
    id: `bench-${id}`,
    "detail-type": "ECS Task State Change",
    source: "aws.ecs",
    detail: {
      clusterArn: CLUSTER,
      taskArn: `arn:aws:ecs:us-east-1:123456789012:task/apps/${taskId(i)}`,
      taskDefinitionArn: definitionArn(i),
      version: h.stop ? 5 : 3,
      lastStatus: "RUNNING",
      desiredStatus: h.stop ? "STOPPED" : "RUNNING",
      launchType: "FARGATE",
      attachments: [{ type: "eni", details: [{ name: "privateIPv4Address", value: address(i) }] }],
      containers: [{ name: "time", lastStatus: "RUNNING" }],
    },
  };
}

export async function main(): Promise<void> {
  // The same sequence every run: deterministic randomness from the tests' support.
  const random = seededRandom(2026);
  // The real timeline: every start, and 400 stops each some time after its start.
  const happenings: Happening[] = [];
  for (let i = 0; i < TASKS; i++) happenings.push({ at: i * 2, taskIndex: i, stop: false });
  for (let i = 0; i < STOPPED; i++)
    happenings.push({ at: i * 2 + 1 + Math.floor(random() * 200), taskIndex: i, stop: true });
  happenings.sort((a, b) => a.at - b.at);
  // Delivery: in order, except 10% delivered late (after up to 50 later events) and 10% delivered twice.
  type Delivery = { h: Happening; order: number; attempt?: number };
  const deliveries: Delivery[] = happenings.map((h, k) => ({
    h,
    order: random() < LATE_SHARE ? k + 1 + Math.floor(random() * 50) + 0.5 : k,
  }));
  const duplicates = happenings
    .filter(() => random() < DUPLICATE_SHARE)
    .map((h) => ({ h, order: happenings.indexOf(h) + Math.floor(random() * 100) + 0.25 }));
  deliveries.push(...duplicates);
  deliveries.sort((a, b) => a.order - b.order);

  // ECS's truth: a task's state as it is at the latest real moment any delivered event has reached.
  const state = new Map<number, "RUNNING" | "STOPPED">();
  const happened = new Set<Happening>();
  const realise = (upTo: number) => {
    for (const h of happenings) {
      if (h.at > upTo || happened.has(h)) continue;
      happened.add(h);
      state.set(h.taskIndex, h.stop ? "STOPPED" : "RUNNING");
    }
  };
  const definition = (arn: string): TaskDefinitionShape => {
    const family = (/task-definition\/([^:]+):/.exec(arn) as RegExpExecArray)[1] as string;
    return {
      family,
      networkMode: "awsvpc",
      containerDefinitions: [
        { name: "app", environment: [{ name: "SERVICE_8080_NAME", value: `_${family}._tcp` }] },
      ],
    };
  };
  const tasks: TaskSource = {
    async describeTask(_cluster, taskArn): Promise<DescribedTask> {
      const i = Number.parseInt(taskArn.split("/").pop() as string, 16);
      const s = state.get(i);
      const task = { taskDefinitionArn: definitionArn(i), containerOverrides: [] };
      if (s === undefined)
        return { ...task, version: 1, lastStatus: "PROVISIONING", desiredStatus: "RUNNING" };
      return s === "RUNNING"
        ? { ...task, version: 3, lastStatus: "RUNNING", desiredStatus: "RUNNING", eniAddress: address(i) }
        : { ...task, version: 5, lastStatus: "STOPPED", desiredStatus: "STOPPED", eniAddress: address(i) };
    },
    taskDefinition: async (arn) => definition(arn),
  };

  const zone = await startLocalZone({ faults: { throttleRps: THROTTLE_RPS } });
  const route53 = route53Client({ endpoint: zone.apiUrl });
  const calls = new ApiCalls({ maxAttempts: 12, baseDelayMs: 100, maxDelayMs: 5_000 });
  const taskZone = new Route53TaskZone(route53, async () => zone.hostedZoneId, calls.call.bind(calls));
  const settings = { zone: zone.zoneName, srvTtl: 10, routing: "multivalue" as const, clusters: [CLUSTER] };
  const outcomes: Record<string, number> = {};
  /** Events that failed every attempt (they would wait in the dead-letter queue). */
  let failed = 0;
  const errors = new Map<string, number>();
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < deliveries.length) {
        const d = deliveries[next] as Delivery;
        next++;
        realise(d.h.at);
        try {
          const r = await applyTaskEvent(event(d.h, next), { tasks, zone: taskZone }, settings);
          outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
        } catch (err) {
          const message = String((err as Error).message).slice(0, 120);
          errors.set(message, (errors.get(message) ?? 0) + 1);
          // As Lambda does for an asynchronous invocation: try again later, twice; then it is lost to the DLQ.
          const attempt = (d.attempt ?? 0) + 1;
          if (attempt <= RETRIES) deliveries.push({ ...d, attempt });
          else failed++;
        }
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  realise(Number.POSITIVE_INFINITY);

  zone.setFaults({});
  const sets = await listZoneRecordSets(route53, zone.hostedZoneId);
  const have = new Map<string, number>();
  for (const rs of sets) {
    const owner = parseSetIdentifier(rs.SetIdentifier);
    if (owner?.kind === "task" || owner?.kind === "task-instance") {
      have.set(owner.taskId, (have.get(owner.taskId) ?? 0) + 1);
    }
  }
  let lost = 0;
  let leftBehind = 0;
  for (let i = 0; i < TASKS; i++) {
    const records = have.get(taskId(i)) ?? 0;
    if (state.get(i) === "RUNNING" && records !== 2) lost++;
    if (state.get(i) === "STOPPED" && records !== 0) leftBehind++;
  }
  const route53Calls =
    (calls.byOperation.ChangeResourceRecordSets ?? 0) + (calls.byOperation.ListResourceRecordSets ?? 0);
  const perEvent = route53Calls / deliveries.length;
  // Attempts Route53 took (not throttled): the work the events needed, whatever the throttling cost on top.
  const accepted = route53Calls - calls.retries;
  route53.destroy();
  await zone.close();

  console.log(
    `${deliveries.length} events (${TASKS} starts, ${STOPPED} stops, ${duplicates.length} duplicates, ~${Math.round(LATE_SHARE * 100)}% late), ${CONCURRENCY} at a time, Route53 throttled at ${THROTTLE_RPS} req/s: ${seconds.toFixed(1)} s`,
  );
  console.log(
    `Route53 calls: ${route53Calls} (${perEvent.toFixed(2)} per event; accepted ${accepted}, ${(accepted / deliveries.length).toFixed(2)} per event; ChangeResourceRecordSets ${calls.byOperation.ChangeResourceRecordSets ?? 0}, ListResourceRecordSets ${calls.byOperation.ListResourceRecordSets ?? 0}, retries ${calls.retries})`,
  );
  const attemptsFailed = [...errors.values()].reduce((a, b) => a + b, 0);
  console.log(
    `outcomes: ${JSON.stringify(outcomes)}; attempts that failed and were retried: ${attemptsFailed}; events left to the dead-letter queue: ${failed}`,
  );
  for (const [m, n] of errors) console.log(`  ${n} x ${m}`);
  console.log(
    `final zone: ${lost} running tasks without their records (lost), ${leftBehind} stopped tasks with records left; equal to the truth: ${lost === 0 && leftBehind === 0}`,
  );
  console.log(
    JSON.stringify({
      bench: "registrar",
      events: deliveries.length,
      duplicates: duplicates.length,
      concurrency: CONCURRENCY,
      throttleRps: THROTTLE_RPS,
      seconds: Number(seconds.toFixed(1)),
      route53Calls,
      route53CallsPerEvent: Number(perEvent.toFixed(2)),
      acceptedCallsPerEvent: Number((accepted / deliveries.length).toFixed(2)),
      retries: calls.retries,
      byOperation: calls.byOperation,
      outcomes,
      failedAttempts: attemptsFailed,
      deadLettered: failed,
      lost,
      leftBehind,
      equalToTruth: lost === 0 && leftBehind === 0,
    }),
  );
}
