// The alarms and the dashboard in the program (index.ts) under Pulumi's mocks: what is made with the coalescer on
// and off and with ecssd:alarms false, which metric each alarm watches (namespace, name, dimensions, statistic),
// thresholds and the SNS topic from the stack's config. Every metric of ours the dashboard or an alarm names must
// be one a component emits (metrics/catalog.ts), under the dimensions its lines really carry: lines written here by
// the real writers (the agent against the local zone, the coalescer's status lines, the Lambdas' writers made from
// the environment and the events this program gives them).
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { ContainerDescription } from "../../agent/containerSource";
import { startHostAgent } from "../../agent/hostAgent";
import type { Log } from "../../agent/syncLoop";
import { SimulatedDocker } from "../../bench/support/simulatedDocker";
import { startStatusMetrics } from "../../coalescer/statusMetrics";
import { parseStackConfig, StackConfigError } from "../../infra/config";
import { checkAlarmOptions } from "../../infra/observability";
import { startLocalZone } from "../../local/zone";
import { EMITTED_METRICS, METRICS_NAMESPACE } from "../../metrics/catalog";
import type { Component } from "../../metrics/definitions";
import { configFromEnv } from "../../reconciler/config";
import { runMetricsWriter } from "../../reconciler/handler";
import { outcomeWriter } from "../../registrar/handler";
import { agentConfig } from "../kit/agentFixtures";
import { localCoalescer } from "../kit/localCoalescer";
import { type EmfDocument, emfSink } from "../metrics/emfLines";
import { promiseOf } from "./support/outputs";
import { ACCOUNT, type ProgramMocks, REGION, type RecordedResource } from "./support/programMocks";
import { type Program, runProgram } from "./support/runProgram";

// biome-ignore lint/suspicious/noExplicitAny: resource inputs and the dashboard body are parsed JSON
type Json = any;

const CLUSTER = "ecssd-cluster-cluster-7f3a9c1";
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:oncall`;
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const DASHBOARD = "aws:cloudwatch/dashboard:Dashboard";

/** The program's alarms by what they watch (their name after `ecssd-observability-`). */
function alarmsOf(mocks: ProgramMocks): Record<string, Json> {
  return Object.fromEntries(
    mocks.ofType(ALARM).map((a) => [a.name.replace(/^ecssd-observability-/, ""), a.inputs]),
  );
}

/** One metric an alarm or a graph names: namespace, name, dimensions, statistic. */
interface Watched {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Record<string, string>;
  readonly stat: string;
}

/** Every metric an alarm watches: its own, or those of its metric math. */
function watchedBy(alarm: Json): Watched[] {
  if (alarm.metricName !== undefined) {
    return [
      {
        namespace: alarm.namespace,
        name: alarm.metricName,
        dimensions: alarm.dimensions,
        stat: alarm.statistic,
      },
    ];
  }
  return (alarm.metricQueries as Json[])
    .filter((q) => q.metric !== undefined)
    .map((q) => ({
      namespace: q.metric.namespace,
      name: q.metric.metricName,
      dimensions: q.metric.dimensions,
      stat: q.metric.stat,
    }));
}

/** Every metric the dashboard graphs: `[namespace, name, key, value, ...]` rows under each widget's stat. */
function graphedBy(dashboard: RecordedResource): Watched[] {
  const body = JSON.parse(dashboard.inputs.dashboardBody) as Json;
  return (body.widgets as Json[]).flatMap((w) =>
    (w.properties.metrics as string[][]).map(([namespace, name, ...dims]) => {
      const dimensions: Record<string, string> = {};
      for (let i = 0; i < dims.length; i += 2) dimensions[dims[i] as string] = dims[i + 1] as string;
      return { namespace: namespace as string, name: name as string, dimensions, stat: w.properties.stat };
    }),
  );
}

const component = (w: Watched): Component => {
  const c = w.dimensions.service?.replace(/^ecssd-/, "");
  assert.ok(c && c in EMITTED_METRICS, `${w.name} names no component: ${JSON.stringify(w.dimensions)}`);
  return c as Component;
};

/** A dimension set as CloudWatch keys a metric by: every key and value, sorted. */
const dimensionKey = (dims: Record<string, unknown>) =>
  JSON.stringify(Object.entries(dims).sort(([a], [b]) => a.localeCompare(b)));

/** The dimension sets of lines, as CloudWatch would file them. */
const dimensionsOf = (docs: readonly EmfDocument[]) =>
  new Set(
    docs.flatMap((d) =>
      d._aws.CloudWatchMetrics.flatMap((m) =>
        m.Dimensions.map((set) => dimensionKey(Object.fromEntries(set.map((k) => [k, d[k]])))),
      ),
    ),
  );

const quiet: Log = { debug() {}, info() {}, warn() {}, error() {} };
const container: ContainerDescription = {
  Id: "7".repeat(64),
  Name: "/time-1",
  Config: { Env: ["SERVICE_8080_NAME=_time._tcp"], Labels: {} },
  State: { Running: true, Paused: false, Restarting: false },
  HostConfig: { NetworkMode: "bridge" },
  NetworkSettings: { Ports: { "8080/tcp": [{ HostIp: "0.0.0.0", HostPort: "31001" }] } },
};

/** The dimension sets the real agent writes: one host against the local zone, its last line at its stop. */
async function agentDimensions(): Promise<Set<string>> {
  const zone = await startLocalZone({ zoneName: "alarms.internal" });
  const sink = emfSink();
  try {
    const docker = new SimulatedDocker();
    docker.startContainer(container);
    const agent = await startHostAgent(agentConfig(zone, "i-0alarms", { ECSSD_ECS_AGENT_URL: "off" }), {
      log: quiet,
      source: docker,
      emf: { write: sink.write, enabled: true },
    });
    assert.ok(await agent.loop.flush(10_000));
    await agent.stop(1_000);
  } finally {
    await zone.close();
  }
  assert.ok(sink.docs.length > 0, "the agent wrote a line");
  return dimensionsOf(sink.docs);
}

/** The dimension sets the real coalescer's status lines carry, against the local zone. */
async function coalescerDimensions(): Promise<Set<string>> {
  const zone = await startLocalZone({ zoneName: "alarms.internal" });
  const coalescer = localCoalescer(zone, { windowMs: 10 });
  const sink = emfSink();
  const lines = startStatusMetrics(() => coalescer.status(), {
    write: sink.write,
    enabled: true,
    everyMs: 3_600_000,
  });
  try {
    await coalescer.start();
  } finally {
    lines.stop();
    await coalescer.stop(0);
    await zone.close();
  }
  return dimensionsOf(sink.docs);
}

/** The reconciler's line under the environment this program gives its Lambda. */
function reconcilerDimensions(mocks: ProgramMocks): Set<string> {
  const env = mocks.named("ecssd-reconciler-function").inputs.environment.variables;
  const sink = emfSink();
  runMetricsWriter(configFromEnv(env), sink.write).put("reconcilerErrors", 1).flush();
  return dimensionsOf(sink.docs);
}

/** The registrar's line for an event of the cluster its rule matches. */
function registrarDimensions(mocks: ProgramMocks): Set<string> {
  const pattern = JSON.parse(mocks.named("ecssd-registrar-task-events").inputs.eventPattern);
  const event = {
    "detail-type": "ECS Task State Change",
    detail: { clusterArn: pattern.detail.clusterArn[0] },
  };
  const sink = emfSink();
  outcomeWriter(event, sink.write).put("registrarIgnored", 1).flush();
  return dimensionsOf(sink.docs);
}

/** Asserts every metric of ours is one its component emits, under dimensions its lines carry. */
function assertEmitted(
  what: string,
  watched: readonly Watched[],
  written: Readonly<Partial<Record<Component, Set<string>>>>,
): void {
  for (const w of watched.filter((m) => m.namespace === METRICS_NAMESPACE)) {
    const c = component(w);
    assert.ok(EMITTED_METRICS[c].includes(w.name), `${what} names ${w.name}, which the ${c} does not emit`);
    const sets = written[c];
    assert.ok(sets, `${what} names the ${c}, which this stack does not run`);
    assert.ok(
      sets.has(dimensionKey(w.dimensions)),
      `${what}: ${w.name} under ${dimensionKey(w.dimensions)}, but the ${c} writes ${[...sets].join(" or ")}`,
    );
  }
}

describe("alarms and the dashboard in the program", function () {
  this.timeout(60_000);
  let agentDims: Set<string>;
  let coalescerDims: Set<string>;
  before(async () => {
    agentDims = await agentDimensions();
    coalescerDims = await coalescerDimensions();
  });

  describe("with the coalescer (the default)", () => {
    let mocks: ProgramMocks;
    let program: Program;
    before(async () => ({ mocks, program } = await runProgram({ "aws:region": REGION })));

    it("alarms on dead letters, the reconciler, a stale host, throttling and the zone's quota", () => {
      assert.deepEqual(Object.keys(alarmsOf(mocks)).sort(), [
        "agent-throttled",
        "coalescer-throttled",
        "dead-letters",
        "reconciler-errors",
        "reconciler-lambda-errors",
        "safety-valve",
        "stale-host",
        "zone-quota",
      ]);
      assert.equal(mocks.ofType(DASHBOARD).length, 1);
    });

    it("watches each alarm's metric by namespace, name, dimensions and statistic", async () => {
      const alarms = alarmsOf(mocks);
      const reconciler = { service: "ecssd-reconciler", Cluster: CLUSTER };
      const reconcilerFunction = await promiseOf(program.reconcilerFunctionName);
      const table: Record<string, Watched[]> = {
        "dead-letters": [
          {
            namespace: "AWS/SQS",
            name: "ApproximateNumberOfMessagesVisible",
            dimensions: { QueueName: "ecssd-coalescer-task-events-dlq" },
            stat: "Maximum",
          },
        ],
        "reconciler-errors": [
          { namespace: METRICS_NAMESPACE, name: "ReconcilerErrors", dimensions: reconciler, stat: "Sum" },
        ],
        "safety-valve": [
          {
            namespace: METRICS_NAMESPACE,
            name: "ReconcilerSafetyValveTrips",
            dimensions: reconciler,
            stat: "Sum",
          },
        ],
        "reconciler-lambda-errors": [
          {
            namespace: "AWS/Lambda",
            name: "Errors",
            dimensions: { FunctionName: reconcilerFunction },
            stat: "Sum",
          },
        ],
        "stale-host": [
          {
            namespace: METRICS_NAMESPACE,
            name: "AgentSecondsSinceSync",
            dimensions: { service: "ecssd-agent" },
            stat: "Maximum",
          },
        ],
        "agent-throttled": ["AgentRoute53Throttled", "AgentRoute53Requests"].map((name) => ({
          namespace: METRICS_NAMESPACE,
          name,
          dimensions: { service: "ecssd-agent" },
          stat: "Sum",
        })),
        "coalescer-throttled": ["CoalescerRoute53Throttled", "CoalescerRoute53Requests"].map((name) => ({
          namespace: METRICS_NAMESPACE,
          name,
          dimensions: { service: "ecssd-coalescer" },
          stat: "Sum",
        })),
        "zone-quota": ["CoalescerZoneRecordSets", "CoalescerZoneRecordSetsLimit"].map((name) => ({
          namespace: METRICS_NAMESPACE,
          name,
          dimensions: { service: "ecssd-coalescer" },
          stat: "Maximum",
        })),
      };
      for (const [what, expected] of Object.entries(table)) {
        assert.deepEqual(watchedBy(alarms[what]), expected, what);
      }
    });

    it("fires on the first error, trip or dead letter, and not for no data", () => {
      const alarms = alarmsOf(mocks);
      for (const what of ["dead-letters", "reconciler-errors", "safety-valve", "reconciler-lambda-errors"]) {
        const a = alarms[what];
        assert.deepEqual(
          [a.comparisonOperator, a.threshold, a.evaluationPeriods, a.treatMissingData],
          ["GreaterThanThreshold", 0, 1, "notBreaching"],
          what,
        );
      }
    });

    it("alarms on a host not synced for 10 minutes, by default", () => {
      const stale = alarmsOf(mocks)["stale-host"];
      assert.deepEqual(
        [stale.comparisonOperator, stale.threshold, stale.period],
        ["GreaterThanThreshold", 600, 60],
      );
    });

    it("alarms on throttling only when sustained: over 10% of requests, three 5-minute periods in a row", () => {
      for (const what of ["agent-throttled", "coalescer-throttled"]) {
        const a = alarmsOf(mocks)[what];
        assert.deepEqual(
          [a.threshold, a.evaluationPeriods, a.datapointsToAlarm, a.comparisonOperator],
          [0.1, 3, 3, "GreaterThanThreshold"],
        );
        const math = (a.metricQueries as Json[]).filter((q) => q.returnData);
        assert.deepEqual(
          math.map((q) => q.expression),
          ["IF(requests > 0, throttled / requests, 0)"],
        );
        assert.deepEqual(
          (a.metricQueries as Json[]).filter((q) => q.metric).map((q) => [q.id, q.metric.period]),
          [
            ["throttled", 300],
            ["requests", 300],
          ],
        );
      }
    });

    it("alarms on the zone above 80% of its record-set quota, by metric math on the coalescer's figures", () => {
      const quota = alarmsOf(mocks)["zone-quota"];
      assert.equal(quota.threshold, 0.8);
      assert.equal(quota.comparisonOperator, "GreaterThanThreshold");
      const math = (quota.metricQueries as Json[]).find((q) => q.returnData);
      assert.equal(math.expression, "used / limit");
    });

    it("notifies nobody when no topic is given", () => {
      for (const [what, a] of Object.entries(alarmsOf(mocks))) {
        assert.equal(a.alarmActions, undefined, what);
        assert.equal(a.okActions, undefined, what);
      }
    });

    it("names in the alarms and the dashboard only metrics the components write, with the dimensions they write", () => {
      const written = {
        agent: agentDims,
        coalescer: coalescerDims,
        reconciler: reconcilerDimensions(mocks),
      };
      for (const [what, alarm] of Object.entries(alarmsOf(mocks)))
        assertEmitted(what, watchedBy(alarm), written);
      assertEmitted("the dashboard", graphedBy(mocks.ofType(DASHBOARD)[0] as RecordedResource), written);
    });

    it("shows on the dashboard every metric each running component emits, one row per component", async () => {
      const dashboard = mocks.ofType(DASHBOARD)[0] as RecordedResource;
      const graphed = graphedBy(dashboard).filter((w) => w.namespace === METRICS_NAMESPACE);
      for (const c of ["agent", "coalescer", "reconciler"] as const) {
        assert.deepEqual(
          graphed
            .filter((w) => component(w) === c)
            .map((w) => w.name)
            .sort(),
          [...EMITTED_METRICS[c]],
          c,
        );
      }
      assert.ok(!graphed.some((w) => component(w) === "registrar"), "no registrar with the coalescer");
      // Counters as Sum, gauges as Maximum, latencies as p99.
      for (const w of graphed) {
        const gauge = /SecondsSinceSync|Consecutive|Checks|Queued|ZoneRecordSets/.test(w.name);
        const latency = /StartToZone/.test(w.name);
        assert.equal(w.stat, latency ? "p99" : gauge ? "Maximum" : "Sum", w.name);
      }
      const rows = (JSON.parse(dashboard.inputs.dashboardBody).widgets as Json[]).reduce(
        (byRow: Map<number, Set<string>>, w) => {
          const services = (w.properties.metrics as string[][])
            .filter((m) => m[0] === METRICS_NAMESPACE)
            .map((m) => m[3] as string);
          const row = byRow.get(w.y) ?? new Set<string>();
          for (const s of services) row.add(s);
          return byRow.set(w.y, row);
        },
        new Map(),
      );
      assert.deepEqual(
        [...rows.values()].map((s) => [...s]),
        [["ecssd-agent"], ["ecssd-coalescer"], ["ecssd-reconciler"]],
      );
      assert.equal(await promiseOf(program.dashboardName), `ecssd-${CLUSTER}`);
    });
  });

  describe("without the coalescer", () => {
    let mocks: ProgramMocks;
    let program: Program;
    before(
      async () =>
        ({ mocks, program } = await runProgram({ "aws:region": REGION, "ecssd:coalescer": "false" })),
    );

    it("watches the registrar's dead-letter queue and Lambda errors, and the agents' quota figures", async () => {
      const alarms = alarmsOf(mocks);
      assert.deepEqual(Object.keys(alarms).sort(), [
        "agent-throttled",
        "dead-letters",
        "reconciler-errors",
        "reconciler-lambda-errors",
        "registrar-lambda-errors",
        "safety-valve",
        "stale-host",
        "zone-quota",
      ]);
      assert.deepEqual(watchedBy(alarms["dead-letters"])[0]?.dimensions, {
        QueueName: "ecssd-registrar-dlq",
      });
      assert.deepEqual(watchedBy(alarms["registrar-lambda-errors"]), [
        {
          namespace: "AWS/Lambda",
          name: "Errors",
          dimensions: { FunctionName: await promiseOf(program.registrarFunctionName) },
          stat: "Sum",
        },
      ]);
      assert.deepEqual(
        watchedBy(alarms["zone-quota"]).map((w) => [w.name, w.dimensions, w.stat]),
        [
          ["AgentZoneRecordSets", { service: "ecssd-agent" }, "Maximum"],
          ["AgentZoneRecordSetsLimit", { service: "ecssd-agent" }, "Maximum"],
        ],
      );
    });

    it("names only metrics the agent, the registrar and the reconciler write, and shows them all", () => {
      const written = {
        agent: agentDims,
        registrar: registrarDimensions(mocks),
        reconciler: reconcilerDimensions(mocks),
      };
      for (const [what, alarm] of Object.entries(alarmsOf(mocks)))
        assertEmitted(what, watchedBy(alarm), written);
      const graphed = graphedBy(mocks.ofType(DASHBOARD)[0] as RecordedResource);
      assertEmitted("the dashboard", graphed, written);
      const registrar = graphed.filter(
        (w) => w.namespace === METRICS_NAMESPACE && component(w) === "registrar",
      );
      assert.deepEqual(registrar.map((w) => w.name).sort(), [...EMITTED_METRICS.registrar]);
      assert.ok(!graphed.some((w) => w.dimensions.service === "ecssd-coalescer"), "no coalescer row");
    });
  });

  it("has every alarm, with and without the coalescer, explained in docs/deploy.md's Running it", async () => {
    const { mocks } = await runProgram({ "aws:region": REGION, "ecssd:coalescer": "false" });
    const { mocks: withCoalescer } = await runProgram({ "aws:region": REGION });
    const docs = readFileSync(path.join(__dirname, "..", "..", "docs", "deploy.md"), "utf8");
    const running = docs.slice(
      docs.indexOf("## Running it"),
      docs.indexOf("\n## ", docs.indexOf("## Running it") + 1),
    );
    assert.ok(running.length > 100, "docs/deploy.md has a Running it section");
    for (const what of new Set([...Object.keys(alarmsOf(mocks)), ...Object.keys(alarmsOf(withCoalescer))])) {
      assert.match(running, new RegExp(`^\\| [^|]*\`${what}\``, "m"), `${what} has a row`);
    }
  });

  describe("from the stack's config", () => {
    it("notifies the topic ecssd:alarmTopicArn names, and takes ecssd:staleHostSeconds", async () => {
      const { mocks } = await runProgram({
        "aws:region": REGION,
        "ecssd:alarmTopicArn": TOPIC,
        "ecssd:staleHostSeconds": "1800",
      });
      // The default share, written as people read it.
      assert.match(mocks.named("ecssd-observability-agent-throttled").inputs.alarmDescription, /over 10% of/);
      const alarms = alarmsOf(mocks);
      assert.equal(Object.keys(alarms).length, 8);
      for (const [what, a] of Object.entries(alarms)) {
        assert.deepEqual(a.alarmActions, [TOPIC], what);
        assert.deepEqual(a.okActions, [TOPIC], what);
      }
      assert.equal(alarms["stale-host"].threshold, 1800);
    });

    it("makes no alarm and no dashboard with ecssd:alarms false", async () => {
      const { mocks, program } = await runProgram({ "aws:region": REGION, "ecssd:alarms": "false" });
      assert.equal(mocks.ofType(ALARM).length, 0);
      assert.equal(mocks.ofType(DASHBOARD).length, 0);
      assert.equal(mocks.ofType("ecssd:infra:Observability").length, 0);
      assert.equal(program.dashboardName, undefined);
    });
  });
});

describe("alarm settings", () => {
  const problemsOf = (config: Record<string, string>): readonly string[] => {
    try {
      parseStackConfig({ "aws:region": REGION, ...config });
      return [];
    } catch (err) {
      assert.ok(err instanceof StackConfigError);
      return err.problems;
    }
  };

  it("defaults to alarms on, no topic, stale hosts after 600 seconds", () => {
    const config = parseStackConfig({ "aws:region": REGION });
    assert.deepEqual([config.alarms, config.alarmTopicArn, config.staleHostSeconds], [true, undefined, 600]);
  });

  it("names a wrong topic ARN, a topic of another region, and a stale-host threshold out of range", () => {
    const cases: [Record<string, string>, string[]][] = [
      [
        { "ecssd:alarmTopicArn": "oncall" },
        [
          '[alarmTopicArn] must be an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:oncall, got "oncall"',
        ],
      ],
      [
        { "ecssd:alarmTopicArn": `arn:aws:sns:us-east-1:${ACCOUNT}:oncall` },
        ["[alarmTopicArn] must be a topic of the stack's region eu-west-1, got one of us-east-1"],
      ],
      [{ "ecssd:staleHostSeconds": "30" }, ["[staleHostSeconds] must be between 120 and 86400, got 30"]],
      [{ "ecssd:alarms": "yes" }, ['[alarms] must be true or false, got "yes"']],
    ];
    for (const [config, problems] of cases)
      assert.deepEqual(problemsOf(config), problems, JSON.stringify(config));
  });

  it("refuses ServiceDiscovery tunables out of range, naming each", () => {
    assert.throws(
      () => checkAlarmOptions({ staleHostSeconds: 59.5, throttledShare: 0 }),
      (err: Error) =>
        err.message ===
        [
          "ServiceDiscovery: invalid alarms:",
          " - [staleHostSeconds] must be a whole number of seconds, at least 120, got 59.5",
          " - [throttledShare] must be a number above 0 and at most 1, got 0",
        ].join("\n"),
    );
    checkAlarmOptions({ staleHostSeconds: 120, throttledShare: 1 });
  });
});
