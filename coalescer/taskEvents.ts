// The registrar inside the coalescer: each task event taken from the queue (taskEventQueue.ts) is applied by
// the registrar's own core, with its writes going into the coalescer's shared batches and its reads answered
// from the coalescer's copy of the zone (registrar/coalescerTaskZone.ts). What the CLI wires together.
import type { EC2Client } from "@aws-sdk/client-ec2";
import type { Logger } from "pino";
import { availabilityZoneIds } from "../registrar/availabilityZoneIds";
import { CoalescerTaskZone } from "../registrar/coalescerTaskZone";
import type { RegistrarConfig } from "../registrar/config";
import { logEventResult } from "../registrar/handler";
import { applyTaskEvent, type EventResult, type TaskSource } from "../registrar/registrar";
import { registrarSettings } from "../registrar/registrarWithClients";
import { type Route53Call, sendOnce } from "../route53/call";
import type { ZoneChanges } from "./zoneChanges";

export interface TaskEventsOptions {
  /** The coalescer. */
  zone: ZoneChanges;
  /** The registrar's settings (registrarConfigFromEnv): records' shape, clusters, owners, deployment. */
  config: RegistrarConfig;
  /** Where tasks are read: ECS (registrar/ecsTaskSource.ts). */
  tasks: TaskSource;
  log: Logger;
  /** The task source's requests by operation, named in each event's line as the Lambda's are. */
  calls?: { readonly byOperation: Record<string, number>; readonly call?: Route53Call };
  /** Maps tasks' AZ names to AZ IDs for their AZ sets, unless the config's azIds (ECSSD_AZ_IDS) does. */
  ec2?: EC2Client;
}

/**
 * The `apply` of the task event queue: one event in, its outcome logged in one line (and one per declaration
 * problem), as the Lambda logs it. Errors are thrown as they are, for the queue to tell a malformed event
 * (TaskEventError: deleted) from a failure (left in the queue for a retry).
 */
export function taskEventApplier(opts: TaskEventsOptions): (event: unknown) => Promise<EventResult> {
  const zones = availabilityZoneIds(opts.config.azIds, opts.ec2, opts.calls?.call ?? sendOnce);
  const deps = {
    tasks: opts.tasks,
    zone: new CoalescerTaskZone(opts.zone, opts.config.deployment),
    ...(zones && { zones }),
  };
  const settings = registrarSettings(opts.config);
  return async (event) => {
    const result = await applyTaskEvent(event, deps, settings);
    logEventResult(opts.log, result, opts.calls?.byOperation ?? {});
    return result;
  };
}
