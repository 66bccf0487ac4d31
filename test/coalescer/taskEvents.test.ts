// The registrar's task events through the coalescer: EventBridge events in moto's SQS queue, taken by the
// poller and applied by the registrar's core over moto's ECS (awsvpc tasks on Fargate), written by the
// coalescer to the local zone with Route53's limits. Answers checked with dig; the queue read back with the real
// SQS client.
import assert from "node:assert/strict";
import type { DescribeTasksCommandOutput } from "@aws-sdk/client-ecs";
import type { Route53Client } from "@aws-sdk/client-route-53";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import pino from "pino";
import type { Coalescer } from "../../coalescer/coalescer";
import { TaskEventQueue } from "../../coalescer/taskEventQueue";
import { taskEventApplier } from "../../coalescer/taskEvents";
import { type LocalZone, ROUTE53_LIMITS, startLocalZone } from "../../local/zone";
import { registrarConfigFromEnv } from "../../registrar/config";
import { EcsTaskSource } from "../../registrar/ecsTaskSource";
import { AwsCall, route53Client } from "../../route53";
import { REGION } from "../kit/awsClients";
import { digShortCanonical as dig } from "../kit/dig";
import { eventually } from "../kit/eventually";
import { localCoalescer } from "../kit/localCoalescer";
import { motoCredentials } from "../kit/moto";
import { ecsClient } from "../reconciler/support/ecsWorld";
import { sharedMoto } from "../reconciler/support/sharedMoto";
import { AwsvpcWorld, holdTaskStates, taskEvent } from "../registrar/support/awsvpcWorld";
import type { MotoServer } from "../support/moto";

const ZONE = "servicediscovery.internal";

interface Line {
  level: number;
  msg: string;
  messageId?: string;
  [key: string]: unknown;
}

function memoryLog(): { lines: Line[]; log: pino.Logger } {
  const lines: Line[] = [];
  const log = pino({ level: "debug" }, { write: (s: string) => lines.push(JSON.parse(s) as Line) });
  return { lines, log };
}

const ERROR = 50;

describe("coalescer: the registrar's task events from SQS (moto SQS and ECS, local zone)", function () {
  this.timeout(90_000);
  let moto: MotoServer;
  let zone: LocalZone;
  let route53: Route53Client;
  let sqs: SQSClient;
  let world: AwsvpcWorld;
  let cluster: string;
  let coalescer: Coalescer;
  let queues = 0;
  const running: TaskEventQueue[] = [];

  before(async () => {
    [moto, zone] = await Promise.all([
      sharedMoto(),
      startLocalZone({ zoneName: ZONE, faults: { ...ROUTE53_LIMITS } }),
    ]);
    await moto.reset();
    await holdTaskStates(moto.endpoint, true);
    route53 = route53Client({ endpoint: zone.apiUrl });
    sqs = new SQSClient({ endpoint: moto.endpoint, region: REGION, credentials: motoCredentials });
    world = new AwsvpcWorld(ecsClient(moto.endpoint), moto.endpoint);
    cluster = await world.cluster("apps");
    coalescer = localCoalescer(zone, {
      client: route53,
      // Long enough that one receive's applies share a batch however slowly moto answers on a busy machine.
      windowMs: 500,
    });
    await coalescer.start();
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((q) => q.stop()));
  });

  after(async () => {
    await holdTaskStates(moto.endpoint, false);
    await coalescer.stop(0);
    sqs.destroy();
    route53.destroy();
    await zone.close();
  });

  /** A queue as the Pulumi program makes it: a short visibility timeout here, and a dead-letter queue. */
  async function queue(maxReceiveCount = 5): Promise<{ url: string; dlq: string }> {
    queues++;
    const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: `task-events-dlq-${queues}` })))
      .QueueUrl as string;
    const dlqArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ["QueueArn"] }))
    ).Attributes?.QueueArn;
    const url = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: `task-events-${queues}`,
          Attributes: {
            VisibilityTimeout: "1",
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
          },
        }),
      )
    ).QueueUrl as string;
    return { url, dlq };
  }

  async function send(url: string, body: unknown): Promise<string> {
    const out = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: typeof body === "string" ? body : JSON.stringify(body),
      }),
    );
    return out.MessageId as string;
  }

  /** Messages in the queue, visible or in flight. */
  async function held(url: string): Promise<number> {
    const out = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return (
      Number(out.Attributes?.ApproximateNumberOfMessages) +
      Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible)
    );
  }

  /** A poller of `url` applying events with the registrar over moto's ECS (`ecs`: another client). */
  function poller(url: string, log: pino.Logger, ecs = world.ecs): TaskEventQueue {
    const calls = new AwsCall();
    const apply = taskEventApplier({
      zone: coalescer,
      config: registrarConfigFromEnv({ ECSSD_ZONE_NAME: ZONE, ECSSD_CLUSTERS: "apps" }),
      tasks: new EcsTaskSource(ecs, calls.call),
      log,
      calls,
    });
    const q = new TaskEventQueue({ sqs, queueUrl: url, apply, log, backoff: { baseMs: 10, capMs: 100 } });
    running.push(q);
    q.start();
    return q;
  }

  async function start(family: string, service: string) {
    const def = await world.definition(family, [
      { name: "web", environment: { SERVICE_8080_NAME: service } },
    ]);
    const taskArn = await world.run(cluster, def);
    const task = await world.describe(cluster, taskArn);
    const taskId = taskArn.split("/").pop() as string;
    return {
      taskArn,
      taskId,
      running: (version = 3) => taskEvent(task, { version, lastStatus: "RUNNING", desiredStatus: "RUNNING" }),
      stopping: (version = 4) =>
        taskEvent(task, { version, lastStatus: "RUNNING", desiredStatus: "STOPPED" }),
    };
  }

  it("registers a task from a RUNNING event in the queue and deletes the message; its stop takes the records out", async () => {
    const { url } = await queue();
    const { log } = memoryLog();
    const t = await start("queued", "_queued._tcp");
    await send(url, t.running());
    const q = poller(url, log);
    await eventually(
      async () => (await dig(zone, "SRV", `_queued._tcp.${ZONE}`)).length === 1,
      30_000,
      "the task's SRV record in the zone",
    );
    assert.deepEqual(await dig(zone, "SRV", `_queued._tcp.${ZONE}`), [`1 1 8080 ${t.taskId}.${ZONE}`]);
    await eventually(async () => (await held(url)) === 0, 30_000, "the message deleted");
    assert.equal(q.status().applied.registered, 1);

    await world.stop(cluster, t.taskArn);
    await send(url, t.stopping());
    await eventually(
      async () => (await dig(zone, "A", `${t.taskId}.${ZONE}`)).length === 0,
      30_000,
      "the task's A record gone",
    );
    assert.deepEqual(await dig(zone, "SRV", `_queued._tcp.${ZONE}`), []);
    await eventually(async () => (await held(url)) === 0, 30_000, "the stop's message deleted");
    assert.deepEqual(q.status(), {
      received: 2,
      applied: { registered: 1, deregistered: 1, waiting: 0, ignored: 0 },
      portsOverCap: 0,
      failed: 0,
      malformed: 0,
      sqsErrors: 0,
    });
  });

  it("leaves an event whose apply fails in the queue, so it comes back and passes once ECS has caught up", async () => {
    const { url } = await queue();
    const { lines, log } = memoryLog();
    const t = await start("behind", "_behind._tcp");
    // DescribeTasks answers an older version than the event's: TaskNotCaughtUpError, as when ECS lags.
    let describedVersion = 2;
    const ecs = ecsClient(moto.endpoint);
    ecs.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === "DescribeTasksCommand")
          for (const task of (result.output as DescribeTasksCommandOutput).tasks ?? [])
            task.version = describedVersion;
        return result;
      },
      { step: "initialize", name: "describedVersion" },
    );
    const messageId = await send(url, t.running(3));
    const q = poller(url, log, ecs);
    await eventually(() => q.status().failed >= 2, 30_000, "the event received again after failing");
    assert.deepEqual(await dig(zone, "A", `${t.taskId}.${ZONE}`), [], "nothing written");
    const failures = lines.filter((l) => l.level === ERROR && l.messageId === messageId);
    assert.ok(failures.length >= 2, "one line per failed attempt, naming the message");
    assert.match(failures[0]?.msg ?? "", /left in the queue/);

    describedVersion = 3;
    await eventually(
      async () => (await dig(zone, "A", `${t.taskId}.${ZONE}`)).length === 1,
      30_000,
      "registered on a later receive",
    );
    await eventually(async () => (await held(url)) === 0, 30_000, "the message deleted once applied");
    assert.equal(q.status().applied.registered, 1);
    ecs.destroy();
  });

  it("lets the queue's redrive policy move an event that keeps failing to the dead-letter queue", async () => {
    const { url, dlq } = await queue(2);
    const { log } = memoryLog();
    const t = await start("doomed", "_doomed._tcp");
    // A definition that cannot be read fails every attempt (the registrar rethrows ECS's error).
    const event = taskEvent(await world.describe(cluster, t.taskArn), {
      version: 3,
      lastStatus: "RUNNING",
      desiredStatus: "RUNNING",
      taskDefinitionArn: "arn:aws:ecs:us-east-1:123456789012:task-definition/nonexistent:1",
    });
    await send(url, event);
    const q = poller(url, log);
    await eventually(async () => (await held(dlq)) === 1, 30_000, "the event in the dead-letter queue");
    assert.equal(await held(url), 0);
    assert.ok(q.status().failed >= 2);
    const moved = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10 }));
    assert.deepEqual(JSON.parse(moved.Messages?.[0]?.Body ?? "null"), event, "kept as it was sent");
  });

  it("deletes a malformed message with one error line naming it, and goes on with the next", async () => {
    const { url } = await queue();
    const { lines, log } = memoryLog();
    const notJson = await send(url, "{not json");
    const notATask = await send(url, {
      source: "aws.ecs",
      "detail-type": "ECS Container Instance State Change",
    });
    const t = await start("after", "_after._tcp");
    const q = poller(url, log);
    await send(url, t.running());
    await eventually(
      async () => (await dig(zone, "SRV", `_after._tcp.${ZONE}`)).length === 1,
      30_000,
      "the good event applied",
    );
    await eventually(async () => (await held(url)) === 0, 30_000, "every message deleted");
    for (const [id, problem] of [
      [notJson, /not JSON/],
      [notATask, /detail-type/],
    ] as const) {
      const errors = lines.filter((l) => l.level === ERROR && l.messageId === id);
      assert.equal(errors.length, 1, `one line for message ${id}`);
      assert.match(errors[0]?.msg ?? "", problem);
      assert.match(errors[0]?.msg ?? "", new RegExp(id));
    }
    assert.equal(q.status().malformed, 2);
    assert.equal(q.status().applied.registered, 1);
  });

  it("applies a burst of 100 events of 50 tasks in far fewer ChangeResourceRecordSets than events", async () => {
    const { url } = await queue();
    const { log } = memoryLog();
    const def = await world.definition("burst", [
      { name: "web", environment: { SERVICE_8080_NAME: "_burst._tcp" } },
    ]);
    const tasks = await Promise.all(
      Array.from({ length: 50 }, async () => world.describe(cluster, await world.run(cluster, def))),
    );
    // Each task's PENDING and RUNNING events, as ECS sends them; the queue holds them all before the poller starts.
    const events = tasks.flatMap((task) => [
      taskEvent(task, { version: 2, lastStatus: "PENDING", desiredStatus: "RUNNING" }),
      taskEvent(task, { version: 3, lastStatus: "RUNNING", desiredStatus: "RUNNING" }),
    ]);
    for (let i = 0; i < events.length; i += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: events.slice(i, i + 10).map((e, j) => ({ Id: String(j), MessageBody: JSON.stringify(e) })),
        }),
      );
    }
    const before = zone.stats().ChangeResourceRecordSets ?? 0;
    const q = poller(url, log);
    await eventually(
      () => q.status().received >= 100 && q.status().applied.registered === 100,
      60_000,
      "all applied",
    );
    await eventually(async () => (await held(url)) === 0, 30_000, "every message deleted");
    assert.equal(
      (await dig(zone, "SRV", `_burst._tcp.${ZONE}`)).length,
      8,
      "multivalue answers give at most 8",
    );
    const sets = await coalescer.readNames([`_burst._tcp.${ZONE}`]);
    assert.equal(sets.length, 50, "every task's SRV set");
    const requests = (zone.stats().ChangeResourceRecordSets ?? 0) - before;
    // The Lambda sent one per event (100); the coalescer shares each receive's writes in a few batches.
    assert.ok(requests <= 25, `${requests} ChangeResourceRecordSets for 100 events`);
    assert.deepEqual(q.status(), {
      received: 100,
      applied: { registered: 100, deregistered: 0, waiting: 0, ignored: 0 },
      portsOverCap: 0,
      failed: 0,
      malformed: 0,
      sqsErrors: 0,
    });
  });

  it("stops by ending its long poll and finishing the messages in hand: each applied and deleted, none half done", async () => {
    const { url } = await queue();
    const { log } = memoryLog();
    const t = await start("stopping", "_stopping._tcp");
    await send(url, t.running());
    const q = poller(url, log);
    await eventually(() => q.status().received === 1, 30_000, "the message in hand");
    await q.stop();
    assert.equal(q.status().applied.registered, 1, "applied before stop returned");
    assert.equal(await held(url), 0, "and deleted");
    assert.deepEqual(await dig(zone, "SRV", `_stopping._tcp.${ZONE}`), [`1 1 8080 ${t.taskId}.${ZONE}`]);

    // Stopped, it takes nothing more; started again, it goes on.
    await world.stop(cluster, t.taskArn);
    await send(url, t.stopping());
    assert.equal(q.status().received, 1);
    q.start();
    await eventually(() => q.status().applied.deregistered === 1, 30_000, "the stop applied after a restart");
  });

  it("logs errors of SQS itself at most once a minute, retries, and takes events once the queue answers", async () => {
    queues++;
    const name = `task-events-${queues}`;
    const url = `${moto.endpoint}/123456789012/${name}`;
    const { lines, log } = memoryLog();
    const q = poller(url, log); // the queue does not exist yet
    await eventually(() => q.status().sqsErrors >= 5, 30_000, "several failed receives");
    const sqsLines = lines.filter((l) => /SQS ReceiveMessage failed/.test(l.msg));
    assert.equal(sqsLines.length, 1, "one line within the minute");

    const created = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    assert.equal(created.QueueUrl, url);
    const t = await start("late-queue", "_latequeue._tcp");
    await send(url, t.running());
    await eventually(
      async () => (await dig(zone, "SRV", `_latequeue._tcp.${ZONE}`)).length === 1,
      30_000,
      "applied once the queue is there",
    );
  });
});
