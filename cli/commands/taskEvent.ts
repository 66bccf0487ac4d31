// `ecssd task-event <file|->`: applies one EventBridge ECS Task State Change event (JSON) to the configured
// zone, exactly as the registrar Lambda does, with the registrar's settings (registrar/config.ts). Prints what
// it did as JSON on stdout, logs on stderr; exits 1 when the event is rejected or fails.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import pino from "pino";
import { reconcilerConfig } from "../../reconciler/config";
import { buildDefaultClients } from "../../reconciler/defaultClients";
import { REGISTRAR_SETTINGS, registrarConfigFromEnv } from "../../registrar/config";
import { applyLogged } from "../../registrar/handler";
import { Registrar } from "../../registrar/registrarWithClients";
import { lambdaEc2Client } from "../../route53/lambdaClients";
import { settingsHelp } from "../../settings/settingsTable";

function readEvent(source: string): unknown {
  const text = source === "-" ? readFileSync(0, "utf8") : readFileSync(source, "utf8");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${source === "-" ? "standard input" : source} is not JSON: ${(err as Error).message}`);
  }
}

export function registerTaskEventCommand(program: Command): void {
  program
    .command("task-event")
    .summary("apply one ECS Task State Change event (awsvpc and Fargate tasks) to the zone")
    .description(
      "Apply one EventBridge ECS Task State Change event (JSON, from a file or - for standard input) to the " +
        "zone, as the registrar Lambda does: register an awsvpc task's records when it runs, remove them when " +
        "it stops. Prints the outcome as JSON on stdout and logs on stderr.",
    )
    .argument("<file>", "the event as JSON, or - to read it from standard input")
    .addHelpText(
      "after",
      `\nSettings (environment variables, and AWS_REGION):\n${settingsHelp(REGISTRAR_SETTINGS)}\n` +
        "See registrar/README.md.",
    )
    .action(async (file: string) => {
      const event = readEvent(file);
      const config = registrarConfigFromEnv(process.env);
      const clients = buildDefaultClients(reconcilerConfig(config));
      if (!clients.ecs) throw new Error("the registrar needs an ECS client");
      // Tasks' AZ names → AZ IDs, unless ECSSD_AZ_IDS maps them (then EC2 is never asked).
      const ec2 = lambdaEc2Client(config);
      const registrar = new Registrar(
        { route53: clients.route53, ecs: clients.ecs, ...(ec2 && { ec2 }) },
        config,
      );
      try {
        const result = await applyLogged(
          registrar,
          event,
          pino({ name: "ecssd-registrar" }, pino.destination(2)),
        );
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        if (result.outcome === "rejected") process.exitCode = 1;
      } finally {
        clients.route53.destroy();
        clients.ecs.destroy();
        ec2?.destroy();
      }
    });
}
