import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { REGISTRAR_MAX_EVENT_AGE_SECONDS, taskStateChangePattern } from "./registrar";
import { ruleOnlyQueuePolicy } from "./ruleQueuePolicy";

/** Receives of one event before SQS moves it to the dead-letter queue: Lambda's first try and its two retries. */
export const TASK_EVENT_MAX_RECEIVES = 3;
/** How long an event taken by the coalescer stays hidden from it: applying one is a few Route53 and ECS calls. */
export const TASK_EVENT_VISIBILITY_SECONDS = 60;
/** How long an event that failed every receive is kept for a person to look at. */
export const TASK_EVENT_DLQ_RETENTION_SECONDS = 14 * 24 * 3600;

/** Arguments of {@link TaskEventQueue}. */
export interface TaskEventQueueArgs {
  /** The cluster whose ECS task state changes are queued (required). */
  readonly clusterArn: pulumi.Input<string>;
}

/**
 * The cluster's ECS task state changes, queued for the coalescer: the EventBridge rule the registrar Lambda would
 * be invoked by, targeting an SQS queue instead, which only that rule may send to. An event the coalescer fails
 * to apply comes back after the visibility timeout and, after {@link TASK_EVENT_MAX_RECEIVES} receives, goes to
 * the dead-letter queue, as a Lambda's retries and dead-letter queue would; so do events EventBridge cannot
 * deliver.
 */
export class TaskEventQueue extends pulumi.ComponentResource {
  readonly queue: aws.sqs.Queue;
  readonly deadLetterQueue: aws.sqs.Queue;
  readonly rule: aws.cloudwatch.EventRule;

  constructor(name: string, args: TaskEventQueueArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecssd:infra:TaskEventQueue", name, {}, opts);

    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      { messageRetentionSeconds: TASK_EVENT_DLQ_RETENTION_SECONDS, sqsManagedSseEnabled: true },
      { parent: this },
    );
    this.queue = new aws.sqs.Queue(
      `${name}-queue`,
      {
        visibilityTimeoutSeconds: TASK_EVENT_VISIBILITY_SECONDS,
        sqsManagedSseEnabled: true,
        redrivePolicy: this.deadLetterQueue.arn.apply((deadLetterTargetArn) =>
          JSON.stringify({ deadLetterTargetArn, maxReceiveCount: TASK_EVENT_MAX_RECEIVES }),
        ),
      },
      { parent: this },
    );

    this.rule = new aws.cloudwatch.EventRule(
      `${name}-rule`,
      {
        description: "ECS task state changes of the ecssd cluster, to the coalescer's queue",
        eventPattern: pulumi
          .output(args.clusterArn)
          .apply((arn) => JSON.stringify(taskStateChangePattern(arn))),
      },
      { parent: this },
    );
    const policies = [
      ruleOnlyQueuePolicy(`${name}-queue-policy`, "TaskEvents", this.queue, this.rule, this),
      // EventBridge puts an event it could not deliver into the dead-letter queue: only this rule's.
      ruleOnlyQueuePolicy(
        `${name}-dlq-policy`,
        "UndeliveredTaskEvents",
        this.deadLetterQueue,
        this.rule,
        this,
      ),
    ];
    new aws.cloudwatch.EventTarget(
      `${name}-target`,
      {
        rule: this.rule.name,
        arn: this.queue.arn,
        retryPolicy: { maximumRetryAttempts: 8, maximumEventAgeInSeconds: REGISTRAR_MAX_EVENT_AGE_SECONDS },
        deadLetterConfig: { arn: this.deadLetterQueue.arn },
      },
      { parent: this, dependsOn: policies },
    );

    this.registerOutputs({ queueUrl: this.queue.url, deadLetterQueueUrl: this.deadLetterQueue.url });
  }
}
