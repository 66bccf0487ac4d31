// `ecssd coalescer`: the zone's one writer for a fleet (coalescer/README.md). Reads its settings from the
// environment, lists the zone into its copy, serves the agents' HTTP API, and on SIGTERM or SIGINT stops
// accepting, lets the submits under way finish (30 s at most) and stops the core. Shared by the `ecssd`
// program and the coalescer's image (coalescer/main.ts).

import type { EC2Client } from "@aws-sdk/client-ec2";
import type { ECSClient } from "@aws-sdk/client-ecs";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Command } from "commander";
import pino from "pino";
import { zoneIdAtStart } from "../../agent/route53Zone";
import { Coalescer } from "../../coalescer/coalescer";
import { COALESCER_SETTINGS, type CoalescerConfig, coalescerConfigFromEnv } from "../../coalescer/config";
import { type CoalescerApi, startCoalescerApi } from "../../coalescer/httpApi";
import { startStatusMetrics } from "../../coalescer/statusMetrics";
import { startTaskEventQueue, type TaskEventQueue } from "../../coalescer/taskEventQueue";
import { taskEventApplier } from "../../coalescer/taskEvents";
import { EcsTaskSource } from "../../registrar/ecsTaskSource";
import { AwsCall } from "../../route53/awsCall";
import { route53Client } from "../../route53/client";
import { ECS_REGION_MISSING, lambdaEc2Client, lambdaEcsClient } from "../../route53/lambdaClients";
import { DEFAULT_RETRY_POLICY } from "../../route53/retry";
import { settingsHelp } from "../../settings/settingsTable";

/** How long a stop waits for submits under way, and then for the core to send what it holds. */
export const STOP_GRACE_MS = 30_000;

const logger = pino({
  name: "ecssd-coalescer",
  level: process.env.LOG_LEVEL ?? "info",
  serializers: { err: (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e)) },
});

/** The coalescer's action and help on `cmd` (the `ecssd` subcommand, or the image's own program). */
export function coalescerCommand(cmd: Command): Command {
  return cmd
    .description(
      "The zone's one writer for a fleet: agents with ECSSD_COALESCER_URL send it their changes, and it applies " +
        "everyone's in shared Route53 batches within ECSSD_ROUTE53_BUDGET. Runs until SIGTERM or SIGINT.",
    )
    .addHelpText(
      "after",
      `\nSettings (environment variables):\n${settingsHelp(COALESCER_SETTINGS)}\nSee coalescer/README.md.`,
    )
    .action(async () => {
      await runCoalescer(coalescerConfigFromEnv(process.env));
      process.exit(0);
    });
}

export function registerCoalescerCommand(program: Command): void {
  coalescerCommand(
    program.command("coalescer").summary("write the zone for a fleet's agents, in shared batches"),
  );
}

/** Runs the coalescer until a stop signal. */
export async function runCoalescer(config: CoalescerConfig): Promise<void> {
  // First, so that a setting the task events lack is named before anything starts.
  const eventClients = taskEventClients(config);
  const client = route53Client(config.route53Endpoint ? { endpoint: config.route53Endpoint } : {});
  const zoneId = await zoneIdAtStart(client, config);
  const core = new Coalescer({
    client,
    zoneId,
    zoneName: config.zoneName,
    budget: config.route53Budget,
    windowMs: config.windowMs,
    relistSeconds: config.relistSeconds,
    log: logger,
  });
  const metrics = startStatusMetrics(() => core.status(), { enabled: config.emf });
  await core.start();
  // The registrar's task events, when a queue is set: applied by the registrar's core over this coalescer.
  const events = eventClients && taskEvents(config, core, eventClients);
  let api: CoalescerApi;
  try {
    api = await startCoalescerApi({
      zone: core,
      zoneName: config.zoneName,
      status: () => core.status(),
      log: logger,
      address: config.address,
      port: config.port,
      ...(config.token !== undefined && { token: config.token }),
      maxPortsPerContainer: config.maxPortsPerContainer,
    });
  } catch (err) {
    // The core's loop and the poller would keep the process alive after the error: stop them first.
    await events?.stop();
    await core.stop(0);
    eventClients?.close();
    client.destroy();
    throw err;
  }
  logger.info(
    { action: "listen", url: api.url, zone: config.zoneName, zoneId, budget: config.route53Budget },
    "coalescer listening",
  );
  if (config.token === undefined)
    logger.warn(
      { action: "listen", url: api.url },
      "no ECSSD_COALESCER_TOKEN: anyone who reaches this port may write any host's records",
    );
  const signal = await new Promise<string>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  logger.info(
    { action: "signal", signal, inFlight: api.inFlight() },
    "stopping: finishing submits under way",
  );
  // One deadline for the three steps, inside the task's stopTimeout (45 s): the poller finishes the events in hand,
  // the API the submits under way, the core what it holds; whatever is left then is retried by its submitter
  // (an agent, or the queue's redelivery).
  const deadline = Date.now() + STOP_GRACE_MS;
  const left = () => Math.max(0, deadline - Date.now());
  if (events) await Promise.race([events.stop(), new Promise((r) => setTimeout(r, left()).unref())]);
  await api.close(left());
  await core.stop(left());
  metrics.stop();
  eventClients?.close();
  client.destroy();
  logger.info({ action: "stop", status: core.status() }, "coalescer stopped");
}

interface TaskEventClients {
  readonly queueUrl: string;
  readonly ecs: ECSClient;
  /** Tasks' AZ names → AZ IDs; none when ECSSD_AZ_IDS maps them. */
  readonly ec2?: EC2Client;
  readonly sqs: SQSClient;
  close(): void;
}

/**
 * The task events' SQS, ECS and EC2 clients, when the configuration names a queue. Their endpoints are the SDK's
 * own: AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_ECS and AWS_ENDPOINT_URL_EC2 point them elsewhere, as at moto.
 */
function taskEventClients(config: CoalescerConfig): TaskEventClients | undefined {
  if (config.taskEventsQueueUrl === undefined) return undefined;
  // ECS is regional: the task's region (AWS_REGION, which ECS sets in every task) names the cluster's.
  const ecs = lambdaEcsClient({});
  if (ecs === undefined) throw new Error(`ECSSD_TASK_EVENTS_QUEUE_URL is set but ${ECS_REGION_MISSING}`);
  const sqs = new SQSClient({});
  const ec2 = lambdaEc2Client(config);
  return {
    queueUrl: config.taskEventsQueueUrl,
    ecs,
    ...(ec2 && { ec2 }),
    sqs,
    close: () => {
      ecs.destroy();
      ec2?.destroy();
      sqs.destroy();
    },
  };
}

/** The task event poller over `core`, started. */
function taskEvents(config: CoalescerConfig, core: Coalescer, clients: TaskEventClients): TaskEventQueue {
  const { queueUrl } = clients;
  const calls = new AwsCall(DEFAULT_RETRY_POLICY);
  const apply = taskEventApplier({
    zone: core,
    config,
    tasks: new EcsTaskSource(clients.ecs, calls.call),
    log: logger,
    calls,
    ...(clients.ec2 && { ec2: clients.ec2 }),
  });
  const queue = startTaskEventQueue({ sqs: clients.sqs, queueUrl, apply, log: logger });
  logger.info({ action: "task-events", queueUrl }, "applying task events from the queue");
  return queue;
}
