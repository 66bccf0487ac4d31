// Reads what the status report needs, through the same code the reconciler reads it with: the zone through the
// Route53 edge (the zone id found once, every page listed, GetHostedZoneLimit), ECS through the reconciler's
// inventory, and what each task declares through the registrar's reading of task definitions. Every request
// goes through one AwsCall (counted, retried on throttling). Reads only: nothing is written.
import { DescribeTaskDefinitionCommand, type ECSClient } from "@aws-sdk/client-ecs";
import type { Route53Client } from "@aws-sdk/client-route-53";
import { Semaphore } from "../reconciler/boundedConcurrency";
import { EcsInventory } from "../reconciler/ecsInventory";
import { listRecordSets } from "../reconciler/zoneRecords";
import { isAwsvpc, type TaskDefinitionShape, taskOffers } from "../registrar/taskDeclarations";
import { AwsCall } from "../route53/awsCall";
import { errorText } from "../route53/exactDeletes";
import { hostedZoneRecordSetUsage } from "../route53/recordSetUsage";
import { zoneIdCache } from "../route53/zoneLookup";
import type { StatusConfig } from "./config";
import { type StatusReport, statusReport, type TaskOffer } from "./statusReport";

export interface StatusClients {
  readonly route53: Route53Client;
  readonly ecs: ECSClient;
}

/** Reads the zone and the clusters, and reports. `now` is when drift is measured from. */
export async function readStatus(
  clients: StatusClients,
  config: StatusConfig,
  now: () => Date = () => new Date(),
): Promise<StatusReport> {
  const calls = new AwsCall();
  const zoneId = await zoneIdCache(clients.route53, config, calls.call)();
  // Zone first, then ECS, as the reconciler reads them: a record is never judged against an older inventory.
  const sets = await listRecordSets(clients.route53, zoneId, calls);
  const usage = await hostedZoneRecordSetUsage(clients.route53, zoneId, calls.call).catch((err: unknown) => ({
    error: `GetHostedZoneLimit: ${errorText(err)}`,
  }));
  const snapshot = await new EcsInventory({ ecs: clients.ecs, clusters: config.clusters, calls }).snapshot();
  const notes: string[] = [];
  const offers = await readOffers(clients.ecs, [...(snapshot.tasks?.values() ?? [])], calls, notes);
  const undescribed = snapshot.counts.undescribedTasks ?? 0;
  if (undescribed > 0) notes.push(`${undescribed} task(s) ECS listed but did not describe: not judged`);
  return statusReport({
    zone: { name: config.zoneName, id: zoneId },
    sets,
    snapshot,
    offers,
    scope: { ...(config.deployment !== undefined && { deployment: config.deployment }) },
    now: now(),
    driftSeconds: config.driftSeconds,
    usage,
    notes,
  });
}

/**
 * What each task declares, from its task definition (one DescribeTaskDefinition per revision: a revision
 * never changes). A definition that cannot be read leaves its tasks unjudged and says so in `notes`. The
 * task's environment overrides are not in what ListTasks/DescribeTasks' inventory keeps, so a port declared
 * only by an override is not expected here.
 */
async function readOffers(
  ecs: ECSClient,
  tasks: readonly { taskId: string; taskDefinitionArn?: string }[],
  calls: AwsCall,
  notes: string[],
): Promise<Map<string, TaskOffer>> {
  const semaphore = new Semaphore(8);
  const arns = [...new Set(tasks.flatMap((t) => (t.taskDefinitionArn ? [t.taskDefinitionArn] : [])))];
  const definitions = new Map<string, TaskOffer>();
  await Promise.all(
    arns.map((arn) =>
      semaphore
        .run(() =>
          calls.call("DescribeTaskDefinition", () =>
            ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn })),
          ),
        )
        .then((out) => {
          if (!out.taskDefinition) throw new Error("no task definition in the answer");
          definitions.set(arn, offerOf(out.taskDefinition as TaskDefinitionShape));
        })
        .catch((err: unknown) => {
          notes.push(
            `task definition ${arn} could not be read (${errorText(err)}): its tasks are not judged`,
          );
        }),
    ),
  );
  const out = new Map<string, TaskOffer>();
  for (const t of tasks) {
    const offer = t.taskDefinitionArn ? definitions.get(t.taskDefinitionArn) : undefined;
    if (offer !== undefined && offer.ports.length > 0) out.set(t.taskId, offer);
  }
  return out;
}

function offerOf(definition: TaskDefinitionShape): TaskOffer {
  const ports = taskOffers(definition).flatMap((c) =>
    c.declarations.services.map((s) => ({
      srvName: s.srvName,
      containerPort: s.containerPort,
      ...(s.check !== undefined && { check: s.check.kind }),
    })),
  );
  return { awsvpc: isAwsvpc(definition), ports };
}
