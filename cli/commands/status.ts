// `ecssd status [--json] [--drift-seconds <n>]`: the zone (through Route53) against the clusters (through ECS),
// with the same ECSSD_* settings the other commands read. Exit status: 2 for drift older than the threshold or
// a stale host, 1 for an error, 0 otherwise.
import type { Command } from "commander";
import { ECS_REGION_MISSING, lambdaEcsClient, lambdaRoute53Client } from "../../route53/lambdaClients";
import { settingsHelp } from "../../settings/settingsTable";
import {
  formatStatus,
  readStatus,
  STATUS_SETTINGS,
  StatusConfigError,
  statusConfigFromEnv,
} from "../../status";

export function registerStatusCommand(program: Command): void {
  program
    .command("status")
    .summary("compare the zone with what ECS runs: instances, health, drift, stale hosts, quota")
    .description(
      "Read the zone through Route53 and the clusters through ECS and show, per service, its instances with " +
        "their owners and health verdicts; drift both ways (running tasks that declare a service and have no " +
        "record; records whose task or host ECS does not know); hosts whose agent is behind; and the zone's " +
        "record sets against its quota. Reads only. Exits 2 when there is drift older than --drift-seconds, " +
        "1 on an error, 0 otherwise.",
    )
    .addHelpText(
      "after",
      `\nSettings (environment variables):\n${settingsHelp(STATUS_SETTINGS)}\nSee status/README.md.`,
    )
    .option("--json", "print the report as JSON, for scripts")
    .option("--drift-seconds <n>", "a task running this long without its record is drift (default 120)")
    .action(async (opts: { json?: boolean; driftSeconds?: string }) => {
      const config = statusConfigFromEnv(process.env, {
        ...(opts.driftSeconds !== undefined && { driftSeconds: opts.driftSeconds }),
      });
      const ecs = lambdaEcsClient(config);
      if (ecs === undefined) throw new StatusConfigError([ECS_REGION_MISSING]);
      const route53 = lambdaRoute53Client(config);
      try {
        const report = await readStatus({ route53, ecs }, config);
        process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
        if (report.driftFound) process.exitCode = 2;
      } finally {
        route53.destroy();
        ecs.destroy();
      }
    });
}
