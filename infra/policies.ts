import { RECORD_NAME_PATTERNS } from "../records";

/** One IAM policy statement, as AWS reads it. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** An IAM identity policy document. */
export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

/**
 * The record types this system writes: SRV for instances, A for hosts and tasks, TXT for health markers beside
 * instances (records/healthMarkers.ts) and for the AZ sets beside hosts' and tasks' A sets
 * (records/availabilityZones.ts).
 */
export const RECORD_TYPES = ["SRV", "A", "TXT"] as const;
type RecordType = (typeof RECORD_TYPES)[number];
/** A writer's types: a subset of ours, kept as a literal tuple for the policy documents' types. */
const ofTypes = <const T extends readonly RecordType[]>(...types: T): T => types;
/**
 * What the agent writes: its instances, its host and the host's AZ set, and the marker saying it checks an
 * instance itself.
 */
export const AGENT_RECORD_TYPES = ofTypes("SRV", "A", "TXT");
/** What the reconciler deletes: stale instances, hosts and tasks (their AZ sets too), and the verdict markers it lifts. */
export const RECONCILER_DELETE_TYPES = ofTypes("SRV", "A", "TXT");
/**
 * What the reconciler writes: its TXT verdict markers, and nothing else. IAM's condition keys are sets over
 * the whole batch, so a batch that deleted an instance and wrote its marker could as well UPSERT the SRV set;
 * the reconciler writes a marker in a request of its own (reconciler/applyPlan.ts), so UPSERT is tied to TXT.
 */
export const RECONCILER_VERDICT_TYPES = ofTypes("TXT");

/**
 * What the registrar writes for an awsvpc task: its A record, the AZ set (TXT) beside it, and one SRV record per
 * declared port. The three go in one batch, and IAM's condition keys are sets over the whole batch, so the same
 * statement admits a TXT set at a service's name too: the types and the names cannot be paired in IAM. The
 * registrar's code writes TXT only at its tasks' names (records/availabilityZones.ts).
 */
export const REGISTRAR_RECORD_TYPES = ofTypes("SRV", "A", "TXT");

type NameShape = keyof typeof RECORD_NAME_PATTERNS;
/** The names the agent writes: its instances' services and its host. */
export const AGENT_NAME_SHAPES: readonly NameShape[] = ["services", "hosts"];
/** The names the registrar writes: its tasks' services and the tasks. */
export const REGISTRAR_NAME_SHAPES: readonly NameShape[] = ["services", "tasks"];

/**
 * What the coalescer writes: whatever the agents and the registrar hand it, together. One statement holds the
 * union, not one statement per writer: IAM's condition keys are sets over the whole batch, and a shared batch
 * carries hosts' and tasks' names side by side, which neither writer's statement alone would admit.
 */
export const COALESCER_RECORD_TYPES: readonly RecordType[] = [
  ...new Set<RecordType>([...AGENT_RECORD_TYPES, ...REGISTRAR_RECORD_TYPES]),
];
export const COALESCER_NAME_SHAPES: readonly NameShape[] = [
  ...new Set([...AGENT_NAME_SHAPES, ...REGISTRAR_NAME_SHAPES]),
];

/** A role's trust policy: who may assume it. */
export interface TrustPolicy {
  readonly Version: "2012-10-17";
  readonly Statement: readonly {
    readonly Effect: "Allow";
    readonly Action: "sts:AssumeRole";
    readonly Principal: { readonly Service: string };
    readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  }[];
}

/** The stack's account and region: whom a service must be acting for when it assumes one of our roles. */
export interface TrustScope {
  readonly account: string;
  readonly partition: string;
  readonly region: string;
}

/**
 * The services that name the resource they act for in `aws:SourceArn` when they assume a role, and its ARN's
 * service part. ECS documents `arn:<partition>:ecs:<region>:<account>:*` for task and task execution roles.
 * Lambda documents `aws:SourceAccount` for execution roles but names no source ARN for them, and the function's
 * own ARN could not be written here anyway: the function is created after, and from, its role.
 */
const SOURCE_ARN_SERVICES: Readonly<Record<string, string>> = { "ecs-tasks.amazonaws.com": "ecs" };

/**
 * Services that send neither `aws:SourceAccount` nor `aws:SourceArn` when they assume a role. EC2 delivers an
 * instance profile's credentials without them, so either key would lock the instances out of their role. What
 * guards that role instead is `iam:PassRole`: only a principal of this account allowed to pass it can put it on
 * an instance, and AWS refuses to pass a role across accounts.
 */
const NO_SOURCE_KEYS: ReadonlySet<string> = new Set(["ec2.amazonaws.com"]);

/**
 * The trust policy that lets one AWS service (e.g. `lambda.amazonaws.com`) assume a role. With `scope`, the
 * service must be acting for this account (and, where it names its resource, for a resource of this account and
 * region): the cross-service confused-deputy guard AWS recommends.
 */
export function assumeRolePolicy(service: string, scope?: TrustScope): TrustPolicy {
  const statement = {
    Effect: "Allow" as const,
    Action: "sts:AssumeRole" as const,
    Principal: { Service: service },
  };
  if (scope === undefined || NO_SOURCE_KEYS.has(service)) {
    return { Version: "2012-10-17", Statement: [statement] };
  }
  if (!/^\d{12}$/.test(scope.account)) throw new Error(`policies: not an AWS account id: "${scope.account}"`);
  const arnService = SOURCE_ARN_SERVICES[service];
  return {
    Version: "2012-10-17",
    Statement: [
      {
        ...statement,
        Condition: {
          StringEquals: { "aws:SourceAccount": scope.account },
          ...(arnService && {
            ArnLike: {
              "aws:SourceArn": `arn:${scope.partition}:${arnService}:${scope.region}:${scope.account}:*`,
            },
          }),
        },
      },
    ],
  };
}

/** The zone an IAM policy is scoped to. */
export interface ZoneRef {
  /** `arn:<partition>:route53:::hostedzone/<id>` */
  readonly zoneArn: string;
  /** The zone's domain name, without a trailing dot. */
  readonly zoneName: string;
}

/**
 * The Route53 change-batch conditions every writer of this system is held to: its record types, and names of
 * the shapes it writes (records/zone.ts), so that a customer's own names in a zone they bring (`db.<zone>`) and
 * the apex (SOA, NS) stay out of reach.
 */
function recordChangeConditions(
  zoneName: string,
  types: readonly string[],
  shapes: readonly NameShape[],
  actions?: readonly string[],
) {
  return {
    "ForAllValues:StringEquals": {
      "route53:ChangeResourceRecordSetsRecordTypes": types,
      ...(actions ? { "route53:ChangeResourceRecordSetsActions": actions } : {}),
    },
    "ForAllValues:StringLike": {
      "route53:ChangeResourceRecordSetsNormalizedRecordNames": shapes.flatMap((shape) =>
        RECORD_NAME_PATTERNS[shape].map((pattern) => `${pattern}.${zoneName}`),
      ),
    },
    // IAM's `?` and `*` match a dot too, so the patterns alone would let a name of the right length reach
    // deeper into the zone; none of ours has more than two labels below it.
    "ForAllValues:StringNotLike": {
      "route53:ChangeResourceRecordSetsNormalizedRecordNames": [`*.*.*.${zoneName}`],
    },
  };
}

/**
 * Reading the zone: the writers list their own record sets. Nothing else is granted: the program gives every
 * writer its zone id (so no lookup by name), and no writer waits on a change id (GetChange).
 */
function zoneReadStatements(zoneArn: string): PolicyStatement[] {
  return [
    { Sid: "ReadOwnZone", Effect: "Allow", Action: "route53:ListResourceRecordSets", Resource: zoneArn },
  ];
}

/** Reading the zone's record-set quota and use, so a writer can say how full the zone is before it is. */
function zoneLimitStatement(zoneArn: string): PolicyStatement {
  return { Sid: "ReadZoneQuota", Effect: "Allow", Action: "route53:GetHostedZoneLimit", Resource: zoneArn };
}

/**
 * The agent's task role when it writes Route53 itself: change SRV, A and TXT (health marker) records below its
 * zone, read that zone and its quota. An agent that sends its changes to the coalescer gets no policy at all.
 */
export function agentPolicy(zone: ZoneRef): PolicyDocument {
  partitionOf(zone.zoneArn); // refuses what is not an ARN
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ChangeOwnRecords",
        Effect: "Allow",
        Action: "route53:ChangeResourceRecordSets",
        Resource: zone.zoneArn,
        Condition: recordChangeConditions(zone.zoneName, AGENT_RECORD_TYPES, AGENT_NAME_SHAPES),
      },
      ...zoneReadStatements(zone.zoneArn),
      zoneLimitStatement(zone.zoneArn),
    ],
  };
}

/** What the reconciler's policy is computed from. */
export interface ReconcilerPolicyInput extends ZoneRef {
  /** `arn:<partition>:ecs:<region>:<account>:cluster/<name>` */
  readonly clusterArn: string;
  /** Whether the reconciler may stop the ECS task of an instance that fails its health check. */
  readonly stopUnhealthyTasks: boolean;
}

/**
 * The reconciler's role: read ECS inventory of our cluster, read the zone, delete SRV, A and TXT records of
 * our name shapes, write (UPSERT) TXT verdict markers at service names and nothing else, and stop tasks of our
 * cluster only when that is switched on. VPC networking and logging come from the
 * AWSLambdaVPCAccessExecutionRole managed policy.
 */
export function reconcilerPolicy(input: ReconcilerPolicyInput): PolicyDocument {
  const cluster = parseClusterArn(input.clusterArn);
  const inCluster = { ArnEquals: { "ecs:cluster": input.clusterArn } };
  const statements: PolicyStatement[] = [
    {
      Sid: "ReadClusterInventory",
      Effect: "Allow",
      Action: "ecs:ListContainerInstances",
      Resource: input.clusterArn,
    },
    {
      Sid: "DescribeClusterMembers",
      Effect: "Allow",
      Action: ["ecs:DescribeTasks", "ecs:DescribeContainerInstances"],
      Resource: [
        `${cluster.prefix}:task/${cluster.name}/*`,
        `${cluster.prefix}:container-instance/${cluster.name}/*`,
      ],
      Condition: inCluster,
    },
    // ListTasks is authorised against the cluster condition key, not a task ARN.
    {
      Sid: "ListClusterTasks",
      Effect: "Allow",
      Action: "ecs:ListTasks",
      Resource: "*",
      Condition: inCluster,
    },
    {
      Sid: "DeleteStaleRecords",
      Effect: "Allow",
      Action: "route53:ChangeResourceRecordSets",
      Resource: input.zoneArn,
      Condition: recordChangeConditions(
        input.zoneName,
        RECONCILER_DELETE_TYPES,
        ["services", "hosts", "tasks"],
        ["DELETE"],
      ),
    },
    {
      Sid: "RecordHealthVerdicts",
      Effect: "Allow",
      Action: "route53:ChangeResourceRecordSets",
      Resource: input.zoneArn,
      // Markers only: a request of TXT sets at service names, written or lifted. An instance's SRV set is
      // deleted in a request of its own, under DeleteStaleRecords.
      Condition: recordChangeConditions(
        input.zoneName,
        RECONCILER_VERDICT_TYPES,
        ["services"],
        ["UPSERT", "DELETE"],
      ),
    },
    ...zoneReadStatements(input.zoneArn),
    zoneLimitStatement(input.zoneArn),
  ];
  if (input.stopUnhealthyTasks) {
    statements.push({
      Sid: "StopUnhealthyTasks",
      Effect: "Allow",
      Action: "ecs:StopTask",
      Resource: `${cluster.prefix}:task/${cluster.name}/*`,
      Condition: inCluster,
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * The registrar's role: describe the tasks of our cluster and their definitions, and the region's AZs
 * ({@link taskReadStatements}), change SRV, A and TXT records at service and task names below its zone, and read
 * that zone. Logging comes from the AWSLambdaBasicExecutionRole managed policy.
 */
export function registrarPolicy(
  input: ZoneRef & {
    readonly clusterArn: string;
    /** Where Lambda sends an event that failed every retry: it does so as this role. */
    readonly deadLetterQueueArn?: string;
  },
): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      ...taskReadStatements(input.clusterArn),
      {
        Sid: "ChangeTaskRecords",
        Effect: "Allow",
        Action: "route53:ChangeResourceRecordSets",
        Resource: input.zoneArn,
        Condition: recordChangeConditions(input.zoneName, REGISTRAR_RECORD_TYPES, REGISTRAR_NAME_SHAPES),
      },
      ...zoneReadStatements(input.zoneArn),
      ...(input.deadLetterQueueArn === undefined
        ? []
        : [
            {
              Sid: "DeadLetters",
              Effect: "Allow" as const,
              Action: "sqs:SendMessage",
              Resource: input.deadLetterQueueArn,
            },
          ]),
    ],
  };
}

/**
 * What applying a task event reads: the tasks of our cluster (the event is only a prompt; the task described now
 * is the truth), task definitions (DescribeTaskDefinition supports no resource-level permission, hence `*`;
 * a definition holds no secret values, only references), and the region's AZs, whose IDs the tasks' AZ sets
 * carry (DescribeAvailabilityZones has no resource either; it says nothing of the account's resources).
 */
function taskReadStatements(clusterArn: string): PolicyStatement[] {
  const cluster = parseClusterArn(clusterArn);
  return [
    {
      Sid: "DescribeClusterTasks",
      Effect: "Allow",
      Action: "ecs:DescribeTasks",
      Resource: `${cluster.prefix}:task/${cluster.name}/*`,
      Condition: { ArnEquals: { "ecs:cluster": clusterArn } },
    },
    { Sid: "ReadTaskDefinitions", Effect: "Allow", Action: "ecs:DescribeTaskDefinition", Resource: "*" },
    { Sid: "ReadZoneIds", Effect: "Allow", Action: "ec2:DescribeAvailabilityZones", Resource: "*" },
  ];
}

/**
 * The coalescer's task role: the zone's one writer changes what the agents and the registrar would (SRV, A and
 * TXT at service, host and task names, {@link COALESCER_NAME_SHAPES}), keeps its copy of the zone (list, quota),
 * reads the tasks its task events name and the region's AZs, and takes those events from their queue.
 */
export function coalescerPolicy(
  input: ZoneRef & {
    readonly clusterArn: string;
    /** The queue of the cluster's ECS task state change events. */
    readonly taskEventsQueueArn: string;
  },
): PolicyDocument {
  partitionOf(input.zoneArn);
  partitionOf(input.taskEventsQueueArn);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ChangeFleetRecords",
        Effect: "Allow",
        Action: "route53:ChangeResourceRecordSets",
        Resource: input.zoneArn,
        Condition: recordChangeConditions(input.zoneName, COALESCER_RECORD_TYPES, COALESCER_NAME_SHAPES),
      },
      ...zoneReadStatements(input.zoneArn),
      zoneLimitStatement(input.zoneArn),
      ...taskReadStatements(input.clusterArn),
      {
        Sid: "TakeTaskEvents",
        Effect: "Allow",
        // What the poller calls (DeleteMessageBatch is authorised as DeleteMessage); nothing more.
        Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
        Resource: input.taskEventsQueueArn,
      },
    ],
  };
}

/** An SQS queue's resource policy. */
export interface QueuePolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly {
    readonly Sid: string;
    readonly Effect: "Allow";
    readonly Principal: { readonly Service: "events.amazonaws.com" };
    readonly Action: "sqs:SendMessage";
    readonly Resource: string;
    readonly Condition: { readonly ArnEquals: { readonly "aws:SourceArn": string } };
  }[];
}

/** A queue policy that lets one EventBridge rule, and nothing else, send to the queue. */
export function ruleToQueuePolicy(sid: string, queueArn: string, ruleArn: string): QueuePolicyDocument {
  partitionOf(queueArn);
  partitionOf(ruleArn);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: sid,
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queueArn,
        Condition: { ArnEquals: { "aws:SourceArn": ruleArn } },
      },
    ],
  };
}

/**
 * The task execution role's access to the secrets a task definition names, and, when they are encrypted with a
 * customer-managed key, to decrypting them (through SSM only: the key's policy admits nothing else either).
 */
export function secretsReadPolicy(parameterArns: readonly string[], keyArn?: string): PolicyDocument {
  if (parameterArns.length === 0) throw new Error("secretsReadPolicy: no parameter ARNs given");
  const region =
    keyArn === undefined ? undefined : /^arn:[a-z-]+:kms:([a-z0-9-]+):\d{12}:key\/[\w-]+$/.exec(keyArn)?.[1];
  if (keyArn !== undefined && region === undefined)
    throw new Error(`policies: not a KMS key ARN: "${keyArn}"`);
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "ReadTaskSecrets", Effect: "Allow", Action: "ssm:GetParameters", Resource: [...parameterArns] },
      ...(keyArn === undefined
        ? []
        : [
            {
              Sid: "DecryptTaskSecrets",
              Effect: "Allow" as const,
              Action: "kms:Decrypt",
              Resource: keyArn,
              Condition: { StringEquals: { "kms:ViaService": `ssm.${region}.amazonaws.com` } },
            },
          ]),
    ],
  };
}

function partitionOf(arn: string): string {
  const partition = /^arn:([a-z-]+):/.exec(arn)?.[1];
  if (!partition) throw new Error(`policies: not an ARN: "${arn}"`);
  return partition;
}

/** The parts of an ECS cluster ARN the policies name: `arn:<partition>:ecs:<region>:<account>`, the name, the partition. */
export function parseClusterArn(arn: string): { prefix: string; name: string; partition: string } {
  const match = /^(arn:([a-z-]+):ecs:[a-z0-9-]+:\d{12}):cluster\/([A-Za-z0-9_-]+)$/.exec(arn);
  if (!match) throw new Error(`policies: not an ECS cluster ARN: "${arn}"`);
  return { prefix: match[1] as string, partition: match[2] as string, name: match[3] as string };
}
