// `ecssd coalescer` as a fleet runs it, as a process: the registrar's task events from moto's SQS queue (moto's
// ECS answering for the tasks, reached through the SDK's own AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL_ECS) and an
// agent's changes over its HTTP API, both written by this one process to the local zone with Route53's limits;
// answers read with dig, the queue with the real SQS client. Then a clean stop on SIGTERM; and a process that
// cannot run exits with its reason: a task event setup without a region before anything starts, a port taken
// once its core runs.
import { strict as assert } from "node:assert";
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import pino from "pino";
import { type HostAgent, startHostAgent } from "../../agent/hostAgent";
import { SimulatedDocker } from "../../bench/support/simulatedDocker";
import { STOP_GRACE_MS } from "../../cli/commands/coalescer";
import type { CoalescerStatus } from "../../coalescer/coalescer";
import { type LocalZone, ROUTE53_LIMITS, startLocalZone } from "../../local/zone";
import { agentConfig, calcContainer } from "../kit/agentFixtures";
import { REGION } from "../kit/awsClients";
import { digShortCanonical as dig } from "../kit/dig";
import { eventually } from "../kit/eventually";
import { type MotoServer, motoCredentials } from "../kit/moto";
import { ecsClient } from "../reconciler/support/ecsWorld";
import { sharedMoto } from "../reconciler/support/sharedMoto";
import { AwsvpcWorld, holdTaskStates, taskEvent } from "../registrar/support/awsvpcWorld";

const ecssd = path.join(__dirname, "..", "..", "bin", "ecssd.js");
const CONTAINER_ID = "cd".repeat(32);

type LogLine = Record<string, unknown> & { msg?: string };

/** A running `ecssd coalescer`: its log lines as they come, and its exit. */
interface CoalescerProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  readonly exited: Promise<number | null>;
  /** The first log line with this message, waited for; rejects if the process exits first. */
  line(msg: string): Promise<LogLine>;
}

function startCoalescerProcess(env: Record<string, string>): CoalescerProcess {
  const child = spawn(process.execPath, [ecssd, "coalescer"], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: LogLine[] = [];
  let ended = false;
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      ended = true;
      resolve(code);
    }),
  );
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (text) => {
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      lines.push({ msg: text });
    }
  });
  return {
    child,
    lines,
    exited,
    line: (msg) =>
      eventually(
        () => {
          const found = lines.find((l) => l.msg === msg);
          if (found) return found;
          if (ended) throw new Error(`the coalescer exited before logging "${msg}"`);
          return undefined;
        },
        60_000,
        `the log line "${msg}"`,
      ),
  };
}

/**
 * Runs `ecssd coalescer` to its exit, killed after 30 s (the code is then null): its exit code and stderr. Not
 * spawnSync: the local zone answers from this process, which must keep running meanwhile.
 */
async function runToExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [ecssd, "coalescer"], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const kill = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  clearTimeout(kill);
  return { code, stderr };
}

describe("ecssd coalescer as a process: task events from SQS and agents' changes, one writer", function () {
  this.timeout(90_000);
  let moto: MotoServer;
  let zone: LocalZone;
  let sqs: SQSClient;
  let world: AwsvpcWorld;
  let cluster: string;
  let queueUrl: string;
  let coalescer: CoalescerProcess;
  let url: string;
  let agent: HostAgent | undefined;

  /** The environment an operator gives the process: the zone by name, the queue, moto for SQS and ECS. */
  function environment(): Record<string, string> {
    return {
      ECSSD_ZONE_NAME: zone.zoneName,
      ECSSD_ROUTE53_ENDPOINT: zone.apiUrl,
      ECSSD_COALESCER_ADDRESS: "127.0.0.1",
      ECSSD_COALESCER_PORT: "0",
      ECSSD_COALESCER_WINDOW_MS: "50",
      ECSSD_TASK_EVENTS_QUEUE_URL: queueUrl,
      ECSSD_CLUSTERS: "apps",
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL_SQS: moto.endpoint,
      AWS_ENDPOINT_URL_ECS: moto.endpoint,
      AWS_ACCESS_KEY_ID: motoCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: motoCredentials.secretAccessKey,
    };
  }

  before(async () => {
    [moto, zone] = await Promise.all([sharedMoto(), startLocalZone({ faults: { ...ROUTE53_LIMITS } })]);
    await moto.reset();
    await holdTaskStates(moto.endpoint, true);
    sqs = new SQSClient({ endpoint: moto.endpoint, region: REGION, credentials: motoCredentials });
    world = new AwsvpcWorld(ecsClient(moto.endpoint), moto.endpoint);
    cluster = await world.cluster("apps");
    // As the Pulumi program makes it: a dead-letter queue behind it.
    const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: "task-events-dlq" }))).QueueUrl;
    const dlqArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ["QueueArn"] }))
    ).Attributes?.QueueArn;
    queueUrl = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: "task-events",
          Attributes: {
            VisibilityTimeout: "2",
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }),
          },
        }),
      )
    ).QueueUrl as string;
    coalescer = startCoalescerProcess(environment());
    const listening = await coalescer.line("coalescer listening");
    assert.equal(listening.zoneId, zone.hostedZoneId, "the zone found by name");
    url = String(listening.url);
  });

  after(async () => {
    await agent?.stop(1_000);
    coalescer?.child.kill("SIGKILL");
    await holdTaskStates(moto.endpoint, false);
    world?.ecs.destroy();
    sqs?.destroy();
    await zone?.close();
  });

  /** Messages in the queue, visible or in flight. */
  async function held(): Promise<number> {
    const out = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return (
      Number(out.Attributes?.ApproximateNumberOfMessages) +
      Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible)
    );
  }

  async function send(event: unknown): Promise<void> {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(event) }));
  }

  async function status(): Promise<CoalescerStatus> {
    const res = await fetch(`${url}/v1/status`);
    assert.equal(res.status, 200);
    return (await res.json()) as CoalescerStatus;
  }

  it("applies a RUNNING event from the queue and deletes the message; the stop event takes the records out", async () => {
    const def = await world.definition("queued", [
      { name: "web", environment: { SERVICE_8080_NAME: "_queued._tcp" } },
    ]);
    const taskArn = await world.run(cluster, def);
    const task = await world.describe(cluster, taskArn);
    const taskId = taskArn.split("/").pop() as string;
    const address = (task.attachments as { details: { name: string; value: string }[] }[])[0]?.details.find(
      (d) => d.name === "privateIPv4Address",
    )?.value;
    assert.ok(address, "moto gave the task an ENI address");
    const srv = `_queued._tcp.${zone.zoneName}`;
    const host = `${taskId}.${zone.zoneName}`;

    await send(taskEvent(task, { version: 3, lastStatus: "RUNNING", desiredStatus: "RUNNING" }));
    await eventually(async () => (await dig(zone, "SRV", srv)).length === 1, 30_000, "the task's SRV record");
    assert.deepEqual(await dig(zone, "SRV", srv), [`1 1 8080 ${host}`]);
    assert.deepEqual(await dig(zone, "A", host), [address]);
    await eventually(async () => (await held()) === 0, 30_000, "the RUNNING event's message deleted");

    await world.stop(cluster, taskArn);
    await send(taskEvent(task, { version: 4, lastStatus: "RUNNING", desiredStatus: "STOPPED" }));
    await eventually(async () => (await dig(zone, "SRV", srv)).length === 0, 30_000, "the SRV record gone");
    assert.deepEqual(await dig(zone, "A", host), []);
    await eventually(async () => (await held()) === 0, 30_000, "the stop's message deleted");
  });

  it("writes an agent's container through the same process, and the zone sees no Route53 request but its own", async () => {
    const docker = new SimulatedDocker();
    // The agent keeps its Route53 endpoint configured: with a coalescer it must not use it, and the count shows it.
    agent = await startHostAgent(
      agentConfig(zone, "host-a", { ECSSD_COALESCER_URL: url, ECSSD_ECS_AGENT_URL: "off" }),
      { log: pino({ level: "silent" }), source: docker },
    );
    assert.equal(agent.zoneId, zone.hostedZoneId, "the zone id from the coalescer's status");
    docker.startContainer(calcContainer(CONTAINER_ID, 32768));
    const srv = `_calc._tcp.${zone.zoneName}`;
    await eventually(async () => (await dig(zone, "SRV", srv)).length === 1, 30_000, "the container's SRV");
    assert.deepEqual(await dig(zone, "SRV", srv), [`1 1 32768 host-a.${zone.zoneName}`]);
    assert.deepEqual(await dig(zone, "A", `host-a.${zone.zoneName}`), ["127.0.0.1"]);

    docker.stopContainer(CONTAINER_ID, true);
    await eventually(
      async () => (await dig(zone, "SRV", srv)).length === 0,
      30_000,
      "the SRV gone at its stop",
    );
    await agent.stop(5_000);
    agent = undefined;

    // Every request the zone received is one the coalescer counts, besides its lookup of the zone by name, made
    // before its core starts. Its core may be mid-request when asked, so compare when both sides have settled.
    let last: { zone: Record<string, number>; coalescer: Record<string, number> } | undefined;
    await eventually(
      async () => {
        const counted = { ...(await status()).requests, ListHostedZonesByName: 1 };
        last = { zone: zone.stats(), coalescer: counted };
        return JSON.stringify(sorted(last.zone)) === JSON.stringify(sorted(counted));
      },
      10_000,
      "the zone's request counts equal to the coalescer's",
    ).catch(() => {});
    assert.ok(last);
    assert.deepEqual(sorted(last.zone), sorted(last.coalescer));
    assert.ok(
      (last.zone.ChangeResourceRecordSets ?? 0) >= 3,
      "the task's writes and the agent's, all its own",
    );
  });

  it("exits 0 on SIGTERM within its grace period, logging that it stopped", async () => {
    const sent = Date.now();
    coalescer.child.kill("SIGTERM");
    const code = await coalescer.exited;
    const took = Date.now() - sent;
    assert.equal(code, 0);
    assert.ok(took < STOP_GRACE_MS, `stopped in ${took} ms`);
    assert.ok(
      coalescer.lines.some((l) => l.msg === "coalescer stopped"),
      "logged coalescer stopped",
    );
  });

  it("refuses a task event queue without AWS_REGION, naming it, before it touches the zone", async () => {
    const before = zone.stats();
    const { AWS_REGION: _, ...env } = environment();
    const out = await runToExit(env);
    assert.notEqual(out.code, null, "it exits by itself");
    assert.notEqual(out.code, 0);
    assert.match(out.stderr, /AWS_REGION/);
    assert.deepEqual(zone.stats(), before, "no Route53 request made");
  });

  it("exits non-zero, naming the address, when its port is taken once its core has started", async () => {
    const taken = new URL(zone.apiUrl);
    const out = await runToExit({ ...environment(), ECSSD_COALESCER_PORT: taken.port });
    assert.notEqual(out.code, null, "it exits by itself");
    assert.notEqual(out.code, 0);
    assert.match(out.stderr, new RegExp(`EADDRINUSE.*127\\.0\\.0\\.1:${taken.port}`));
  });
});

function sorted(counts: Record<string, number>): [string, number][] {
  return Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
}
