import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_SRV_TTL } from "../records/zone";
import { registrarEnvironment } from "../registrar/config";
import { REGISTRAR_RUNTIME } from "./lambdaRuntime";
import { registrarPolicy } from "./policies";
import { ruleOnlyQueuePolicy } from "./ruleQueuePolicy";
import type { ZoneWriterArgs } from "./zoneWriterArgs";
import { invokedByRule, zoneWriterLambda } from "./zoneWriterLambda";

/** The EventBridge pattern of our cluster's task state changes: the only events the registrar is sent. */
export function taskStateChangePattern(clusterArn: string): Record<string, unknown> {
  return {
    source: ["aws.ecs"],
    "detail-type": ["ECS Task State Change"],
    detail: { clusterArn: [clusterArn] },
  };
}

/** The Lambda environment the registrar reads: written by the registrar's own codec. */
export { registrarEnvironment };

/** Lambda's retries of a failed event (its maximum); then the event goes to the dead-letter queue. */
export const REGISTRAR_RETRIES = 2;
/** An event older than this is not worth applying: the reconciler's periodic run has judged the task since. */
export const REGISTRAR_MAX_EVENT_AGE_SECONDS = 3600;

/** Arguments of {@link Registrar}. */
export interface RegistrarArgs extends ZoneWriterArgs {
  /** The bundled handler (`index.js` exporting `handler`) (required). */
  readonly code: pulumi.Input<pulumi.asset.Archive>;
  readonly clusterName: pulumi.Input<string>;
}

/**
 * The registrar: a Lambda invoked by an EventBridge rule on our cluster's ECS Task State Change events, which
 * keeps the records of awsvpc (and Fargate) tasks. It needs only AWS APIs, so it runs outside the VPC. A
 * failed event is retried by Lambda, then kept in a dead-letter queue; events EventBridge cannot deliver go
 * there too.
 */
export class Registrar extends pulumi.ComponentResource {
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly deadLetterQueue: aws.sqs.Queue;
  readonly function: aws.lambda.Function;
  readonly functionName: pulumi.Output<string>;
  readonly rule: aws.cloudwatch.EventRule;

  constructor(name: string, args: RegistrarArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecssd:infra:Registrar", name, {}, opts);

    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      { messageRetentionSeconds: 14 * 24 * 3600, sqsManagedSseEnabled: true },
      { parent: this },
    );
    const lambda = zoneWriterLambda(name, this, args, {
      roleDescription: "ecssd registrar: describe our cluster's tasks, keep awsvpc tasks' records",
      managed: { suffix: "logging", policy: "AWSLambdaBasicExecutionRole" },
      policy: (scope) =>
        this.deadLetterQueue.arn.apply((deadLetterQueueArn) =>
          JSON.stringify(registrarPolicy({ ...scope, deadLetterQueueArn })),
        ),
      description: "ecssd registrar: records of awsvpc and Fargate tasks from ECS task events",
      runtime: REGISTRAR_RUNTIME,
      timeout: 30,
      environment: (zone) => registrarEnvironment({ ...zone, srvTtl: args.srvTtl ?? DEFAULT_SRV_TTL }),
      invoke: {
        maximumRetryAttempts: REGISTRAR_RETRIES,
        maximumEventAgeInSeconds: REGISTRAR_MAX_EVENT_AGE_SECONDS,
        destinationConfig: { onFailure: { destination: this.deadLetterQueue.arn } },
      },
    });
    this.role = lambda.role;
    this.logGroup = lambda.logGroup;
    this.function = lambda.function;
    this.functionName = this.function.name;

    this.rule = new aws.cloudwatch.EventRule(
      `${name}-task-events`,
      {
        description: "ECS task state changes of the ecssd cluster, to the registrar",
        eventPattern: pulumi
          .output(args.clusterArn)
          .apply((arn) => JSON.stringify(taskStateChangePattern(arn))),
      },
      { parent: this },
    );
    // EventBridge may put events it could not deliver into the queue: only this rule's.
    ruleOnlyQueuePolicy(`${name}-dlq-policy`, "UndeliveredTaskEvents", this.deadLetterQueue, this.rule, this);
    invokedByRule(name, this, this.function, this.rule, `${name}-target`, {
      retryPolicy: { maximumRetryAttempts: 8, maximumEventAgeInSeconds: REGISTRAR_MAX_EVENT_AGE_SECONDS },
      deadLetterConfig: { arn: this.deadLetterQueue.arn },
    });

    this.registerOutputs({ functionName: this.functionName, deadLetterQueueUrl: this.deadLetterQueue.url });
  }
}
