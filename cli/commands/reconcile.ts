// `ecssd reconcile [--dry-run]`: one reconcile run with the settings of the environment (the same
// ECSSD_* variables the Lambda reads); prints the JSON summary on stdout and logs on stderr.
import type { Command } from "commander";
import pino from "pino";
import { configFromEnv, RECONCILER_SETTINGS } from "../../reconciler/config";
import { buildDefaultClients } from "../../reconciler/defaultClients";
import { reconcile } from "../../reconciler/reconcileWithClients";
import { settingsHelp } from "../../settings/settingsTable";

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
      `\nSettings (environment variables):\n${settingsHelp(RECONCILER_SETTINGS)}\nSee reconciler/README.md.`,
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
