// The registrar's ECS task events, taken from the SQS queue the EventBridge rule feeds, for the coalescer: one
// long-polling loop; the messages of one receive are applied concurrently across tasks and in `detail.version`
// order within a task (the registrar orders by version and reads ECS anyway; this only spares it needless
// retries). An applied message is deleted. A failed one is left in the queue: it comes back after the queue's
// visibility timeout, and after a few receives the queue's redrive policy moves it to the dead-letter queue –
// the retries and the dead-letter queue the Lambda had, kept. A message that can never pass (not JSON, not a
// task state change) is one error line and deleted. Errors of SQS itself are retried with the edge's back-off
// and logged at most once a minute; nothing a queue holds stops the loop.
import { setTimeout as sleep } from "node:timers/promises";
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Logger } from "pino";
import type { EventOutcome, EventResult } from "../registrar/registrar";
import { TaskEventError } from "../registrar/taskStateChange";
import { Backoff, type BackoffOptions } from "../route53/backoff";

export interface TaskEventQueueOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** Applies one event (the message body, parsed); throws TaskEventError for one that can never apply. */
  apply: (event: unknown) => Promise<EventResult>;
  log: Logger;
  /** Back-off after an error of SQS itself. Default: 1 s doubling up to 30 s, full jitter. */
  backoff?: BackoffOptions;
  /** Long-poll wait per receive, seconds (SQS allows 0–20). Default 20: an idle queue costs 3 receives a minute. */
  waitTimeSeconds?: number;
  /** Clock of the once-a-minute error line; injectable for tests. */
  now?: () => number;
}

/** What the poller has done since it started, for the coalescer's status. */
export interface TaskEventQueueCounts {
  received: number;
  /** Applied and deleted, by the registrar's outcome. */
  applied: Record<EventOutcome, number>;
  /** Declared ports left out by ECSSD_MAX_PORTS_PER_CONTAINER (the registrar's `portsOverCap` of each event). */
  portsOverCap: number;
  /** Failed and left in the queue, to come back (each receive of one message counts). */
  failed: number;
  /** Not JSON or not a task state change: logged and deleted. */
  malformed: number;
  /** Failed ReceiveMessage and DeleteMessageBatch requests (and deletes SQS refused). */
  sqsErrors: number;
}

export const SQS_BACKOFF: BackoffOptions = { baseMs: 1_000, capMs: 30_000 };
/** SQS's own limit for both ReceiveMessage and DeleteMessageBatch. */
const MAX_MESSAGES = 10;
const SQS_ERROR_LOG_INTERVAL_MS = 60_000;

type Done = "delete" | "keep";

export class TaskEventQueue {
  private readonly counts: TaskEventQueueCounts = {
    received: 0,
    applied: { registered: 0, deregistered: 0, waiting: 0, ignored: 0 },
    portsOverCap: 0,
    failed: 0,
    malformed: 0,
    sqsErrors: 0,
  };
  private readonly backoff: Backoff;
  private readonly now: () => number;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private stopping = false;
  private lastErrorLoggedAt = Number.NEGATIVE_INFINITY;
  private errorsNotLogged = 0;

  constructor(private readonly opts: TaskEventQueueOptions) {
    const wait = opts.waitTimeSeconds ?? 20;
    if (!Number.isInteger(wait) || wait < 0 || wait > 20) {
      throw new Error(`waitTimeSeconds must be an integer from 0 to 20 (SQS's range), got ${wait}`);
    }
    this.backoff = new Backoff(opts.backoff ?? SQS_BACKOFF);
    this.now = opts.now ?? Date.now;
  }

  /** Starts the loop; a second call while it runs does nothing. */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.abort = new AbortController();
    this.loop = this.run();
  }

  /** Ends the receive in flight, finishes the messages in hand (applied and deleted, or left), then returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    await this.loop;
    this.loop = undefined;
  }

  /** A copy of the counts. */
  status(): TaskEventQueueCounts {
    return { ...this.counts, applied: { ...this.counts.applied } };
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let messages: Message[];
      try {
        const out = await this.opts.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.opts.queueUrl,
            MaxNumberOfMessages: MAX_MESSAGES,
            WaitTimeSeconds: this.opts.waitTimeSeconds ?? 20,
            MessageSystemAttributeNames: ["ApproximateReceiveCount"],
          }),
          { abortSignal: this.abort.signal },
        );
        messages = out.Messages ?? [];
        this.backoff.reset();
      } catch (err) {
        if (this.stopping) break;
        this.sqsError("ReceiveMessage", err);
        await sleep(this.backoff.next(), undefined, { signal: this.abort.signal }).catch(() => {});
        continue;
      }
      if (messages.length > 0) await this.handle(messages);
    }
  }

  /** Applies one receive's messages (tasks concurrently, each task's in version order), then deletes the done. */
  private async handle(messages: Message[]): Promise<void> {
    this.counts.received += messages.length;
    const byTask = new Map<string, { message: Message; event: unknown; version: number }[]>();
    const toDelete: Message[] = [];
    for (const message of messages) {
      const event = this.parse(message);
      if (event === undefined) {
        toDelete.push(message);
        continue;
      }
      const { task, version } = taskOf(event);
      const key = task ?? `message:${message.MessageId}`;
      const queue = byTask.get(key) ?? [];
      queue.push({ message, event, version });
      byTask.set(key, queue);
    }
    await Promise.all(
      [...byTask.values()].map(async (queue) => {
        queue.sort((a, b) => a.version - b.version);
        for (const { message, event } of queue) {
          if ((await this.applyOne(message, event)) === "delete") toDelete.push(message);
        }
      }),
    );
    await this.delete(toDelete);
  }

  /** The body as JSON, or undefined (logged, counted) when it is not. */
  private parse(message: Message): unknown {
    try {
      return JSON.parse(message.Body ?? "");
    } catch (err) {
      this.counts.malformed++;
      this.opts.log.error(
        { messageId: message.MessageId },
        `task event message ${message.MessageId} deleted: its body is not JSON (${(err as Error).message})`,
      );
      return undefined;
    }
  }

  private async applyOne(message: Message, event: unknown): Promise<Done> {
    try {
      const result = await this.opts.apply(event);
      this.counts.applied[result.outcome]++;
      this.counts.portsOverCap += result.portsOverCap ?? 0;
      return "delete";
    } catch (err) {
      if (err instanceof TaskEventError) {
        this.counts.malformed++;
        this.opts.log.error(
          { messageId: message.MessageId, field: err.field },
          `task event message ${message.MessageId} deleted: it is not a task state change the registrar can read (${err.message})`,
        );
        return "delete";
      }
      this.counts.failed++;
      this.opts.log.error(
        { messageId: message.MessageId, receives: message.Attributes?.ApproximateReceiveCount, err },
        `task event message ${message.MessageId} failed; left in the queue, it comes back after the visibility timeout (the dead-letter queue takes it after the redrive policy's receives)`,
      );
      return "keep";
    }
  }

  /**
   * Deletes done messages. One that cannot be deleted comes back and is applied again, which is harmless: the
   * registrar reads ECS and the zone afresh every time.
   */
  private async delete(messages: Message[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      const out = await this.opts.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.opts.queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      for (const failed of out.Failed ?? []) {
        const message = messages[Number(failed.Id)];
        this.sqsError(
          "DeleteMessageBatch",
          new Error(`message ${message?.MessageId}: ${failed.Code} ${failed.Message ?? ""}`.trim()),
        );
      }
    } catch (err) {
      this.sqsError("DeleteMessageBatch", err);
    }
  }

  /** Counts an SQS error; logs it unless one was logged less than a minute ago (then says how many were not). */
  private sqsError(operation: string, err: unknown): void {
    this.counts.sqsErrors++;
    const now = this.now();
    if (now - this.lastErrorLoggedAt < SQS_ERROR_LOG_INTERVAL_MS) {
      this.errorsNotLogged++;
      return;
    }
    this.opts.log.error(
      { operation, queueUrl: this.opts.queueUrl, err, errorsSinceLastLine: this.errorsNotLogged },
      `SQS ${operation} failed; retrying with back-off (at most one such line a minute)`,
    );
    this.lastErrorLoggedAt = now;
    this.errorsNotLogged = 0;
  }
}

/** The task an event names and its version, read leniently: the registrar itself rejects a malformed one. */
function taskOf(event: unknown): { task?: string; version: number } {
  const detail = (event as { detail?: { taskArn?: unknown; version?: unknown } } | null)?.detail;
  const task = typeof detail?.taskArn === "string" ? detail.taskArn : undefined;
  const version = typeof detail?.version === "number" ? detail.version : -1;
  return task === undefined ? { version } : { task, version };
}

/** Starts a poller of the queue; `stop()` it to end. */
export function startTaskEventQueue(opts: TaskEventQueueOptions): TaskEventQueue {
  const queue = new TaskEventQueue(opts);
  queue.start();
  return queue;
}
