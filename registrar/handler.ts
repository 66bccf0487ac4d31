// The Lambda entry point, invoked by the EventBridge rule on the cluster's ECS Task State Change events: thin
// over Registrar.apply(). A malformed event is logged and dropped (retrying cannot mend it, and the
// reconciler's periodic run is the backstop); any other failure fails the invocation, so Lambda retries it
// and, when the retries are spent, the event goes to the dead-letter queue with nothing half-written (each
// change is one all-or-nothing batch). A zone too full for the task's sets (its record-set quota) fails it
// too, after a warning (once a minute per zone) that says which zone is full and what to do: the retries,
// and the dead-letter queue after them, keep the event until the quota is raised or room is made.
import pino from "pino";
import type { EmfKey } from "../metrics/definitions";
import { EmfWriter } from "../metrics/emf";
import { clusterName } from "../records";
import {
  ECS_REGION_MISSING,
  lambdaEc2Client,
  lambdaEcsClient,
  lambdaRoute53Client,
} from "../route53/lambdaClients";
import { logLevel } from "../route53/logLevel";
import {
  isRecordSetQuotaError,
  QuotaWarning,
  type QuotaZone,
  type RecordSetUsage,
} from "../route53/recordSetQuota";
import { type RegistrarConfig, RegistrarConfigError, registrarConfigFromEnv } from "./config";
import type { EventResult } from "./registrar";
import { Registrar } from "./registrarWithClients";
import { TaskEventError } from "./taskStateChange";

export const logger = pino({ name: "ecssd-registrar", level: logLevel(process.env.LOG_LEVEL) });

let prepared: { registrar: Registrar; config: RegistrarConfig } | undefined;
/** Lives as long as the Lambda's instance: at most one line a minute per zone across its invocations. */
const quotaWarning = new QuotaWarning(logger);

/** Applies one event; returns what it did (also logged as one line). */
export const handler = async (
  event: unknown,
): Promise<EventResult | { outcome: "rejected"; reason: string }> => {
  if (!prepared) {
    const config = registrarConfigFromEnv(process.env);
    const ecs = lambdaEcsClient(config);
    if (!ecs) throw new RegistrarConfigError([ECS_REGION_MISSING]);
    // EC2 maps tasks' AZ names to AZ IDs, unless ECSSD_AZ_IDS does (then it is never asked).
    const ec2 = lambdaEc2Client(config);
    const clients = { route53: lambdaRoute53Client(config), ecs, ...(ec2 && { ec2 }) };
    prepared = { registrar: new Registrar(clients, config), config };
  }
  const { registrar, config } = prepared;
  return applyLogged(registrar, event, logger, quotaWarning, outcomeWriter(event, undefined, config));
};

/**
 * The EMF writer of one event (writing nothing when the config's `emf`, ECSSD_EMF, is off; default on), with its
 * cluster as the dimension when the event names one.
 */
export function outcomeWriter(
  event: unknown,
  write?: (line: string) => void,
  config: Pick<RegistrarConfig, "emf"> = { emf: true },
): EmfWriter<"registrar"> {
  const arn = (event as { detail?: { clusterArn?: unknown } } | null)?.detail?.clusterArn;
  return new EmfWriter("registrar", {
    enabled: config.emf,
    // Only a cluster ARN gives the dimension: anything else in an event's clusterArn names no cluster.
    ...(typeof arn === "string" && arn.includes(":cluster/") && { cluster: clusterName(arn) }),
    ...(write && { write }),
  });
}

const OUTCOME_METRIC: Readonly<Record<EventResult["outcome"] | "rejected" | "failed", EmfKey<"registrar">>> =
  {
    registered: "registrarRegistered",
    deregistered: "registrarDeregistered",
    waiting: "registrarWaiting",
    ignored: "registrarIgnored",
    rejected: "registrarRejected",
    failed: "registrarFailed",
  };

/** What applies events: the Registrar over AWS clients, or the local stack's registrar over Docker. */
export interface EventApplier {
  apply(event: unknown): Promise<EventResult>;
  readonly calls: { readonly byOperation: Record<string, number> };
  /** The zone it writes and how full it is, for the record-set quota's warning (its name and id alone when absent). */
  readonly quota?: { zone(): Promise<QuotaZone>; usage(): Promise<RecordSetUsage> };
}

/**
 * Applies one event and logs one line for it: the outcome, or the rejection of a malformed event. A zone too
 * full for the task's sets is said by `quotaWarning` (keep one across events: once a minute per zone).
 */
export async function applyLogged(
  r: EventApplier,
  event: unknown,
  log: pino.Logger,
  quotaWarning: QuotaWarning = new QuotaWarning(log),
  emf?: EmfWriter<"registrar">,
): Promise<EventResult | { outcome: "rejected"; reason: string }> {
  let outcome: keyof typeof OUTCOME_METRIC = "failed";
  let taskId: string | undefined;
  let portsOverCap = 0;
  try {
    const result = await r.apply(event);
    ({ outcome, taskId } = result);
    portsOverCap = result.portsOverCap ?? 0;
    logEventResult(log, result, r.calls.byOperation);
    return result;
  } catch (err) {
    if (err instanceof TaskEventError) {
      outcome = "rejected";
      log.error({ field: err.field }, `event rejected: ${err.message}`);
      return { outcome: "rejected", reason: err.message };
    }
    if (isRecordSetQuotaError(err) && r.quota) {
      const zone = await r.quota.zone().catch(() => undefined);
      if (zone) await quotaWarning.report(zone, r.quota.usage);
    }
    log.error({ err }, "event failed; it will be retried");
    throw err;
  } finally {
    // One line per event: its outcome counted once, the task id beside it (never a dimension).
    emf?.put(OUTCOME_METRIC[outcome], 1);
    // The ports a container declared beyond the cap, each counted (its log line says which container).
    if (portsOverCap > 0) emf?.put("registrarPortsOverCap", portsOverCap);
    emf?.flush(taskId !== undefined ? { taskId } : {});
  }
}

/** The lines of one applied event: one per declaration problem, then one for the outcome. */
export function logEventResult(log: pino.Logger, result: EventResult, calls: Record<string, number>): void {
  for (const p of result.problems) {
    log.warn({ taskId: result.taskId, container: p.container, key: p.subject, problem: p.code }, p.message);
  }
  log.info({ ...result, problems: result.problems.length, calls }, result.outcome);
}
