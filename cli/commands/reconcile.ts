// `ecssd reconcile [--dry-run]`: one reconcile run with the settings of the environment (the same
// ECSSD_* variables the Lambda reads); prints the JSON summary on stdout and logs on stderr.
import type { Command } from "commander";
import pino from "pino";
import { configFromEnv } from "../../reconciler/config";
import { buildDefaultClients } from "../../reconciler/defaultClients";
import { reconcile } from "../../reconciler/reconcileWithClients";

export function registerReconcileCommand(program: Command): void {
  program
    .command("reconcile")
    .summary("remove records whose task or host is gone and health-check instances, once")
    .description(
      "Remove records whose task, container or host is gone and health-check instances, once, with the " +
        "settings of the environment (the same ECSSD_* variables the Lambda reads). Prints the JSON summary on " +
        "stdout and logs on stderr; exits 2 when the safety valve stopped the deletions.",
    )
    .addHelpText(
      "after",
      "\nSettings: ECSSD_ZONE_NAME, ECSSD_ZONE_ID, ECSSD_CLUSTERS, ECSSD_CHECK_HEALTH, ECSSD_HEALTH_PATH,\n" +
        "ECSSD_HEALTH_TIMEOUT_MS, ECSSD_HEALTH_CONCURRENCY, ECSSD_HEALTH_ATTEMPTS, ECSSD_STOP_UNHEALTHY_TASKS,\n" +
        "ECSSD_DRY_RUN, ECSSD_MAX_DELETE_SHARE, ECSSD_ROUTE53_ENDPOINT, ECSSD_ECS_ENDPOINT,\n" +
        "ECSSD_INVENTORY (ecs|docker), ECSSD_HOST_ID (docker). See reconciler/README.md.",
    )
    .option("--dry-run", "decide and report, change nothing")
    .action(async (opts: { dryRun?: boolean }) => {
      const config = configFromEnv(process.env);
      const clients = buildDefaultClients(config);
      const logger = pino({ name: "ecssd-reconciler" }, pino.destination(2));
      const summary = await reconcile(
        { ...clients, logger },
        { ...config, dryRun: config.dryRun || opts.dryRun === true },
      );
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      if (summary.safetyValve.tripped) process.exitCode = 2;
      clients.route53.destroy();
      clients.ecs?.destroy();
    });
}
