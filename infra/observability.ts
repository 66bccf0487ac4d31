import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type Component, METRICS, METRICS_NAMESPACE, type MetricDefinition } from "../metrics/definitions";

/** The alarms' defaults: each documented in docs/deploy.md, "Running it". */
export const ALARM_DEFAULTS = {
  /** A host whose records have not equalled its containers for this long (10 minutes) is stale. */
  staleHostSeconds: 600,
  /** Over this share of a writer's Route53 requests throttled, in every one of {@link THROTTLE_PERIODS}. */
  throttledShare: 0.1,
} as const;
/** The record-set quota alarm's share: the zone above 80% of "Records per hosted zone". */
export const ZONE_QUOTA_SHARE = 0.8;
/** Sustained throttling: this many 5-minute periods in a row. */
export const THROTTLE_PERIODS = 3;
/** Smallest stale-host threshold: the agents write their gauge once a minute, so less would only be noise. */
export const MIN_STALE_HOST_SECONDS = 120;

/** A share as people read it: 0.07 → "7%" (not 7.000000000000001%). */
const percent = (share: number) => `${Math.round(share * 1000) / 10}%`;

/** What a user tunes of the alarms (`ServiceDiscoveryArgs.alarms`). */
export interface AlarmOptions {
  /** An SNS topic told when an alarm fires and when it is OK again. Default: none (the alarms only show). */
  readonly topicArn?: pulumi.Input<string>;
  /** Seconds a host may go without its records equalling its containers. Default: 600 (at least 120). */
  readonly staleHostSeconds?: number;
  /** Share of a writer's Route53 requests throttled that, sustained 15 minutes, alarms. Default: 0.1 (above 0, at most 1). */
  readonly throttledShare?: number;
}

/** Arguments of {@link Observability}. */
export interface ObservabilityArgs extends AlarmOptions {
  /** The cluster's name: the `Cluster` dimension the Lambdas write (required). */
  readonly clusterName: pulumi.Input<string>;
  /** The stack's region, the dashboard's (required). */
  readonly region: string;
  /** The reconciler Lambda (required). */
  readonly reconcilerFunctionName: pulumi.Input<string>;
  /** The registrar Lambda; none with the coalescer. */
  readonly registrarFunctionName?: pulumi.Input<string>;
  /** Whether the coalescer runs (it then writes the zone and owns the quota figures). Default: false. */
  readonly coalescer?: boolean;
  /** The queue the task events wait in for the coalescer; none without it. */
  readonly taskEventsQueueName?: pulumi.Input<string>;
  /** The dead-letter queue of the task events: the coalescer's queue's, or the registrar's (required). */
  readonly deadLetterQueueName: pulumi.Input<string>;
}

/** Checks the tunables; throws once, naming each problem's field. */
export function checkAlarmOptions(options: AlarmOptions): void {
  const problems: string[] = [];
  const stale = options.staleHostSeconds;
  if (stale !== undefined && !(Number.isInteger(stale) && stale >= MIN_STALE_HOST_SECONDS)) {
    problems.push(
      `[staleHostSeconds] must be a whole number of seconds, at least ${MIN_STALE_HOST_SECONDS}, got ${stale}`,
    );
  }
  const share = options.throttledShare;
  if (share !== undefined && !(Number.isFinite(share) && share > 0 && share <= 1)) {
    problems.push(`[throttledShare] must be a number above 0 and at most 1, got ${share}`);
  }
  if (problems.length > 0) {
    throw new Error(`ServiceDiscovery: invalid alarms:\n${problems.map((p) => ` - ${p}`).join("\n")}`);
  }
}

/**
 * The dimensions a component's EMF lines carry, as the writers set them: `service` always (Powertools), and
 * `Cluster` for the Lambdas, which this stack tells their one cluster (the reconciler's ECSSD_CLUSTERS, the
 * registrar's events). The agent and the coalescer write no cluster. A CloudWatch metric is its exact set of
 * dimensions, so an alarm or a graph with one more or one fewer watches a metric nobody writes.
 */
export function emfDimensions(component: Component, clusterName: string): Record<string, string> {
  const service = { service: `ecssd-${component}` };
  return component === "reconciler" || component === "registrar"
    ? { ...service, Cluster: clusterName }
    : service;
}

/** The EMF name of one row of the metrics table (those the alarms name are all emitted). */
function emfName(key: keyof typeof METRICS): string {
  const def = METRICS[key] as MetricDefinition;
  if (def.emf === undefined) throw new Error(`metric ${key} is not written to CloudWatch`);
  return def.emf;
}

/** The components running in a stack, in the dashboard's order. */
export function componentsOf(coalescer: boolean): Component[] {
  return coalescer ? ["agent", "coalescer", "reconciler"] : ["agent", "registrar", "reconciler"];
}

/** What the dashboard needs to know, resolved. */
export interface DashboardFacts {
  readonly region: string;
  readonly clusterName: string;
  readonly components: readonly Component[];
  readonly reconcilerFunctionName: string;
  readonly registrarFunctionName?: string;
  readonly taskEventsQueueName?: string;
  readonly deadLetterQueueName: string;
}

type Widget = Record<string, unknown>;
const ROW_HEIGHT = 6;
const PERIOD = 300;

/**
 * The dashboard's body: one row per component, every metric it emits (from the one table, so nothing it does not
 * write), graphed by kind and unit (counters as Sum, gauges as Maximum, latencies as p99), and beside them the AWS metrics of its
 * Lambda and queues.
 */
export function dashboardBody(facts: DashboardFacts): { widgets: Widget[] } {
  const widgets: Widget[] = [];
  facts.components.forEach((component, row) => {
    const dims = Object.entries(emfDimensions(component, facts.clusterName)).flat();
    const groups = new Map<string, { title: string; stat: string; metrics: string[][] }>();
    for (const def of Object.values(METRICS) as MetricDefinition[]) {
      if (def.component !== component || def.emf === undefined) continue;
      const counter = def.kind === "counter";
      const key = `${def.kind} ${def.unit}`;
      // A histogram's values are latencies from every host: its p99 says what the slowest are.
      const group =
        groups.get(key) ??
        (def.kind === "histogram"
          ? { title: `${component}: latency, seconds (p99)`, stat: "p99", metrics: [] }
          : {
              title: `${component}: ${counter ? "counts (Sum)" : `${def.unit === "Seconds" ? "seconds" : "levels"} (Maximum)`}`,
              stat: counter ? "Sum" : "Maximum",
              metrics: [],
            });
      group.metrics.push([METRICS_NAMESPACE, def.emf, ...dims]);
      groups.set(key, group);
    }
    const aws = awsMetricsOf(component, facts);
    const graphs = [...groups.values(), ...(aws ? [aws] : [])];
    const width = Math.floor(24 / graphs.length);
    graphs.forEach((g, i) => {
      widgets.push({
        type: "metric",
        x: i * width,
        y: row * ROW_HEIGHT,
        width,
        height: ROW_HEIGHT,
        properties: {
          title: g.title,
          region: facts.region,
          view: "timeSeries",
          stat: g.stat,
          period: PERIOD,
          metrics: g.metrics,
        },
      });
    });
  });
  return { widgets };
}

/** The AWS metrics next to a component's own: its Lambda's, its queues'. */
function awsMetricsOf(
  component: Component,
  facts: DashboardFacts,
): { title: string; stat: string; metrics: string[][] } | undefined {
  const lambda = (fn: string) => [
    ["AWS/Lambda", "Errors", "FunctionName", fn],
    ["AWS/Lambda", "Throttles", "FunctionName", fn],
  ];
  const dlq = ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", facts.deadLetterQueueName];
  switch (component) {
    case "reconciler":
      return {
        title: "reconciler: Lambda (Sum)",
        stat: "Sum",
        metrics: lambda(facts.reconcilerFunctionName),
      };
    case "registrar":
      return facts.registrarFunctionName === undefined
        ? undefined
        : {
            title: "registrar: Lambda and dead letters (Maximum)",
            stat: "Maximum",
            metrics: [...lambda(facts.registrarFunctionName), dlq],
          };
    case "coalescer":
      return {
        title: "coalescer: task events waiting, dead letters (Maximum)",
        stat: "Maximum",
        metrics: [
          ...(facts.taskEventsQueueName === undefined
            ? []
            : [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", facts.taskEventsQueueName]]),
          dlq,
        ],
      };
    default:
      return undefined;
  }
}

/**
 * CloudWatch alarms on what says discovery is broken, and a dashboard of every metric the components write: made
 * by {@link ServiceDiscovery} unless `alarms: false`. docs/deploy.md ("Running it") says what each alarm means
 * and what to do.
 */
export class Observability extends pulumi.ComponentResource {
  /** Every alarm, by what it watches. */
  readonly alarms: Readonly<Record<string, aws.cloudwatch.MetricAlarm>>;
  readonly dashboard: aws.cloudwatch.Dashboard;
  readonly dashboardName: pulumi.Output<string>;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecssd:infra:Observability", name, {}, opts);
    // Its tunables were checked (checkAlarmOptions) by ServiceDiscovery, its one maker, before anything was made.
    const staleHostSeconds = args.staleHostSeconds ?? ALARM_DEFAULTS.staleHostSeconds;
    const throttledShare = args.throttledShare ?? ALARM_DEFAULTS.throttledShare;
    const coalescer = args.coalescer ?? false;
    const actions =
      args.topicArn === undefined ? {} : { alarmActions: [args.topicArn], okActions: [args.topicArn] };
    const dims = (component: Component) =>
      pulumi.output(args.clusterName).apply((cluster) => emfDimensions(component, cluster));

    const alarms: Record<string, aws.cloudwatch.MetricAlarm> = {};
    const alarm = (
      what: string,
      description: string,
      spec: Omit<aws.cloudwatch.MetricAlarmArgs, "alarmDescription">,
    ) => {
      alarms[what] = new aws.cloudwatch.MetricAlarm(
        `${name}-${what}`,
        { alarmDescription: description, ...actions, ...spec },
        { parent: this },
      );
    };
    // "Something happened at least once in 5 minutes": errors, trips, dead letters. No data is no trouble.
    const anyIn5Minutes = {
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      period: PERIOD,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
    } as const;

    alarm("dead-letters", "ecssd: task events failed every retry and wait in the dead-letter queue", {
      ...anyIn5Minutes,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: args.deadLetterQueueName },
      statistic: "Maximum",
    });
    alarm("reconciler-errors", "ecssd: reconciler runs, or deletions within them, failed", {
      ...anyIn5Minutes,
      namespace: METRICS_NAMESPACE,
      metricName: emfName("reconcilerErrors"),
      dimensions: dims("reconciler"),
      statistic: "Sum",
    });
    alarm(
      "safety-valve",
      "ecssd: the reconciler's safety valve tripped: a run planned to delete too large a share of the records",
      {
        ...anyIn5Minutes,
        namespace: METRICS_NAMESPACE,
        metricName: emfName("reconcilerSafetyValveTrips"),
        dimensions: dims("reconciler"),
        statistic: "Sum",
      },
    );
    const lambdaErrors = (what: string, fn: pulumi.Input<string>) =>
      alarm(`${what}-lambda-errors`, `ecssd: the ${what} Lambda failed (timeouts and crashes included)`, {
        ...anyIn5Minutes,
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: fn },
        statistic: "Sum",
      });
    lambdaErrors("reconciler", args.reconcilerFunctionName);
    if (args.registrarFunctionName !== undefined) lambdaErrors("registrar", args.registrarFunctionName);

    // The agents write the gauge once a minute; its Maximum is the stalest host's. No data (no agent writing) keeps
    // the alarm's state: a cluster with no instances is not a stale host.
    alarm(
      "stale-host",
      `ecssd: a host's records have not matched its containers for over ${staleHostSeconds} s`,
      {
        comparisonOperator: "GreaterThanThreshold",
        threshold: staleHostSeconds,
        period: 60,
        evaluationPeriods: 1,
        treatMissingData: "missing",
        namespace: METRICS_NAMESPACE,
        metricName: emfName("agentSinceSync"),
        dimensions: dims("agent"),
        statistic: "Maximum",
      },
    );

    // Sustained throttling: the throttled share of a writer's requests, above the threshold 15 minutes in a row.
    const throttling = {
      agent: ["agentThrottles", "agentApiCalls"],
      coalescer: ["coalescerThrottled", "coalescerRequests"],
    } as const;
    for (const component of coalescer ? (["agent", "coalescer"] as const) : (["agent"] as const)) {
      const [throttled, requests] = throttling[component];
      const sum = (id: string, key: keyof typeof METRICS) => ({
        id,
        metric: {
          namespace: METRICS_NAMESPACE,
          metricName: emfName(key),
          dimensions: dims(component),
          stat: "Sum",
          period: PERIOD,
        },
        returnData: false,
      });
      alarm(
        `${component}-throttled`,
        `ecssd: over ${percent(throttledShare)} of the ${component}'s Route53 requests throttled, ${THROTTLE_PERIODS * 5} minutes in a row`,
        {
          comparisonOperator: "GreaterThanThreshold",
          threshold: throttledShare,
          evaluationPeriods: THROTTLE_PERIODS,
          datapointsToAlarm: THROTTLE_PERIODS,
          treatMissingData: "notBreaching",
          metricQueries: [
            sum("throttled", throttled),
            sum("requests", requests),
            {
              id: "share",
              expression: "IF(requests > 0, throttled / requests, 0)",
              label: "throttled share of Route53 requests",
              returnData: true,
            },
          ],
        },
      );
    }

    // The zone's size against its quota, from the writer that asks Route53 for both: the coalescer, or the agents.
    const quota = coalescer
      ? (["coalescer", "coalescerZoneRecordSets", "coalescerZoneRecordSetsLimit"] as const)
      : (["agent", "agentZoneRecordSets", "agentZoneRecordSetsLimit"] as const);
    const max = (id: string, key: keyof typeof METRICS) => ({
      id,
      metric: {
        namespace: METRICS_NAMESPACE,
        metricName: emfName(key),
        dimensions: dims(quota[0]),
        stat: "Maximum",
        period: PERIOD,
      },
      returnData: false,
    });
    alarm("zone-quota", `ecssd: the zone holds over ${percent(ZONE_QUOTA_SHARE)} of its record-set quota`, {
      comparisonOperator: "GreaterThanThreshold",
      threshold: ZONE_QUOTA_SHARE,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      metricQueries: [
        max("used", quota[1]),
        max("limit", quota[2]),
        { id: "share", expression: "used / limit", label: "share of the record-set quota", returnData: true },
      ],
    });
    this.alarms = alarms;

    this.dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: pulumi.output(args.clusterName).apply((c) => `ecssd-${c}`.slice(0, 255)),
        dashboardBody: pulumi
          .all([
            args.clusterName,
            args.reconcilerFunctionName,
            args.registrarFunctionName,
            args.taskEventsQueueName,
            args.deadLetterQueueName,
          ])
          .apply(
            ([
              clusterName,
              reconcilerFunctionName,
              registrarFunctionName,
              taskEventsQueueName,
              deadLetterQueueName,
            ]) =>
              JSON.stringify(
                dashboardBody({
                  region: args.region,
                  clusterName,
                  components: componentsOf(coalescer),
                  reconcilerFunctionName,
                  deadLetterQueueName,
                  ...(registrarFunctionName !== undefined && { registrarFunctionName }),
                  ...(taskEventsQueueName !== undefined && { taskEventsQueueName }),
                }),
              ),
          ),
      },
      { parent: this },
    );
    this.dashboardName = this.dashboard.dashboardName;
    this.registerOutputs({ dashboardName: this.dashboardName });
  }
}
