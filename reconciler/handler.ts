// The Lambda entry point, run on a schedule: thin over reconcile(). Settings come from the environment and
// the clients are built once per container and reused by every invocation.
import type { Context, ScheduledEvent } from "aws-lambda";
import pino from "pino";
import { EmfWriter } from "../metrics/emf";
import { clusterName } from "../records";
import { configFromEnv, type ReconcilerConfig } from "./config";
import { buildDefaultClients, type ReconcilerClients } from "./defaultClients";
import { logLevel } from "./logLevel";
import { reconcile } from "./reconcileWithClients";
import { putRunMetrics, type ReconcileSummary } from "./runSummary";

/** The handler's logger: JSON lines to stdout, which Lambda sends to CloudWatch. Level from LOG_LEVEL (default info). */
export const logger = pino({ name: "ecssd-reconciler", level: logLevel(process.env.LOG_LEVEL) });

let prepared: { config: ReconcilerConfig; clients: ReconcilerClients } | undefined;

/** A scheduled event, or a manual invocation that may ask for a dry run: `{ "dryRun": true }`. */
export type ReconcilerEvent = Partial<ScheduledEvent> & { dryRun?: boolean };

/** Runs one reconcile and returns its JSON summary. A configuration problem fails the invocation, naming every setting at fault. */
export const handler = async (
  event?: ReconcilerEvent,
  context?: Pick<Context, "getRemainingTimeInMillis">,
): Promise<ReconcileSummary> => {
  if (!prepared) {
    const config = configFromEnv(process.env);
    prepared = { config, clients: buildDefaultClients(config) };
  }
  const { config, clients } = prepared;
  const deadline = context?.getRemainingTimeInMillis
    ? Date.now() + context.getRemainingTimeInMillis()
    : undefined;
  const emf = runMetricsWriter(config);
  try {
    const summary = await reconcile(
      { ...clients, logger, ...(deadline !== undefined && { deadline }) },
      { ...config, dryRun: config.dryRun || event?.dryRun === true },
    );
    putRunMetrics(emf, summary);
    return summary;
  } catch (err) {
    emf.put("reconcilerErrors", 1);
    throw err;
  } finally {
    emf.flush();
  }
};

/**
 * One EMF line per run (none when the config's `emf`, ECSSD_EMF, is off; default on), with the cluster as its
 * dimension when there is one.
 */
export function runMetricsWriter(
  config: Pick<ReconcilerConfig, "clusters"> & Partial<Pick<ReconcilerConfig, "emf">>,
  write?: (line: string) => void,
): EmfWriter<"reconciler"> {
  const only = config.clusters.length === 1 ? config.clusters[0] : undefined;
  return new EmfWriter("reconciler", {
    enabled: config.emf ?? true,
    ...(only !== undefined && { cluster: clusterName(only) }),
    ...(write && { write }),
  });
}

// Its home is the record contract; still exported here, where it was first.
export { clusterName };
