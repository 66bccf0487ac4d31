// A queue that one EventBridge rule, and nothing else, may send to: its policy as a resource, for every such queue
// the program makes.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ruleToQueuePolicy } from "./policies";

/**
 * The policy of a queue that only `rule` may send to: the coalescer's task events and their dead-letter queue, the
 * registrar's dead-letter queue. One resource, named `name`, under `parent`.
 */
export function ruleOnlyQueuePolicy(
  name: string,
  sid: string,
  queue: aws.sqs.Queue,
  rule: aws.cloudwatch.EventRule,
  parent: pulumi.Resource,
): aws.sqs.QueuePolicy {
  return new aws.sqs.QueuePolicy(
    name,
    {
      queueUrl: queue.url,
      policy: pulumi
        .all([queue.arn, rule.arn])
        .apply(([queueArn, ruleArn]) => JSON.stringify(ruleToQueuePolicy(sid, queueArn, ruleArn))),
    },
    { parent },
  );
}
