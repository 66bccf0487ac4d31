// Every metric in the table, written as EMF by its component's writer, is an EMF document by the specification;
// the catalog lists exactly what the writers can write; the agent's Prometheus names stay as published.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { AgentMetrics } from "../../agent/metrics";
import { EMITTED_METRICS, emittedMetricNames } from "../../metrics/catalog";
import {
  type Component,
  type EmfKey,
  METRICS,
  METRICS_NAMESPACE,
  type MetricDefinition,
  type MetricKey,
} from "../../metrics/definitions";
import { EmfWriter, emfEnabled } from "../../metrics/emf";
import { assertEmfLine, emfSink, metricNames } from "./emfLines";

const COMPONENTS: Component[] = ["agent", "reconciler", "registrar", "coalescer"];

function emfKeys(component: Component): MetricKey[] {
  return (Object.keys(METRICS) as MetricKey[]).filter((k) => {
    const d: MetricDefinition = METRICS[k];
    return d.component === component && d.emf !== undefined;
  });
}

describe("metrics: EMF lines", () => {
  for (const component of COMPONENTS) {
    it(`every ${component} metric makes a line valid by the EMF specification, in the one namespace`, () => {
      const sink = emfSink();
      const writer = new EmfWriter(component, { write: sink.write, cluster: "prod" });
      for (const key of emfKeys(component)) writer.put(key as EmfKey<typeof component>, 3);
      writer.flush({ host: "i-0abc" });
      assert.equal(sink.docs.length, 1);
      const doc = sink.docs[0] as NonNullable<(typeof sink.docs)[0]>;
      assert.equal(doc._aws.CloudWatchMetrics[0]?.Namespace, METRICS_NAMESPACE);
      assert.deepEqual(metricNames(doc).sort(), EMITTED_METRICS[component]);
      assert.deepEqual(doc._aws.CloudWatchMetrics[0]?.Dimensions, [["service", "Cluster"]]);
      assert.equal(doc.service, `ecssd-${component}`);
      assert.equal(doc.Cluster, "prod");
      assert.equal(doc.host, "i-0abc", "an id rides along as a property, not a dimension");
    });
  }

  it("a metric put twice in a line carries both values, and the next line starts afresh", () => {
    const sink = emfSink();
    const writer = new EmfWriter("registrar", { write: sink.write });
    writer.put("registrarRegistered", 1).put("registrarRegistered", 1).flush();
    writer.put("registrarFailed", 1).flush();
    assert.deepEqual(sink.docs[0]?.RegistrarRegistered, [1, 1]);
    assert.deepEqual(metricNames(sink.docs[1] as NonNullable<(typeof sink.docs)[1]>), ["RegistrarFailed"]);
    assert.equal(sink.docs[1]?.RegistrarRegistered, undefined);
  });

  it("writes nothing when nothing was put, or when EMF is off", () => {
    const sink = emfSink();
    assert.equal(new EmfWriter("coalescer", { write: sink.write }).flush(), undefined);
    const off = new EmfWriter("coalescer", { write: sink.write, enabled: false });
    off.put("coalescerQueued", 1);
    assert.equal(off.flush(), undefined);
    assert.equal(sink.docs.length, 0);
  });

  it("refuses a metric of another component, or a value that is not a finite number", () => {
    const writer = new EmfWriter("registrar", { write: () => {} });
    assert.throws(
      () => writer.put("coalescerQueued" as never, 1),
      /metric coalescerQueued is not one the registrar sends as EMF/,
    );
    assert.throws(
      () => writer.put("registrarFailed", Number.NaN),
      /RegistrarFailed: NaN is not a finite number/,
    );
  });

  it("ECSSD_EMF is on unless `off`; any other value is named in the error", () => {
    assert.equal(emfEnabled({}), true);
    assert.equal(emfEnabled({ ECSSD_EMF: "on" }), true);
    assert.equal(emfEnabled({ ECSSD_EMF: "OFF" }), false);
    assert.throws(() => emfEnabled({ ECSSD_EMF: "no" }), /\[ECSSD_EMF\] must be "on" or "off", not "no"/);
  });

  it("the catalog names every EMF metric once, each under one component", () => {
    const all = emittedMetricNames();
    assert.equal(new Set(all).size, all.length);
    assert.deepEqual([...COMPONENTS.flatMap((c) => EMITTED_METRICS[c])].sort(), all);
    for (const name of all) assert.match(name, /^(Agent|Reconciler|Registrar|Coalescer)[A-Za-z0-9]+$/);
  });

  it("the schema refuses what the specification forbids", () => {
    const line = (aws: unknown, rest: Record<string, unknown> = {}) => JSON.stringify({ _aws: aws, ...rest });
    const directive = { Namespace: "N", Dimensions: [["Cluster"]], Metrics: [{ Name: "M", Unit: "Count" }] };
    assertEmfLine(line({ Timestamp: 1, CloudWatchMetrics: [directive] }, { Cluster: "c", M: 1 }));
    const bad: [string, string][] = [
      ["no timestamp", line({ CloudWatchMetrics: [directive] }, { Cluster: "c", M: 1 })],
      [
        "an unknown unit",
        line(
          { Timestamp: 1, CloudWatchMetrics: [{ ...directive, Metrics: [{ Name: "M", Unit: "Things" }] }] },
          { Cluster: "c", M: 1 },
        ),
      ],
      [
        "a member the directive does not define",
        line({ Timestamp: 1, CloudWatchMetrics: [{ ...directive, Extra: 1 }] }, { Cluster: "c", M: 1 }),
      ],
      [
        "a dimension with no string value",
        line({ Timestamp: 1, CloudWatchMetrics: [directive] }, { Cluster: 3, M: 1 }),
      ],
      [
        "a metric with no number",
        line({ Timestamp: 1, CloudWatchMetrics: [directive] }, { Cluster: "c", M: "1" }),
      ],
      [
        "31 dimensions",
        line({
          Timestamp: 1,
          CloudWatchMetrics: [{ ...directive, Dimensions: [Array.from({ length: 31 }, (_, i) => `d${i}`)] }],
        }),
      ],
      [
        "a storage resolution of 5",
        line(
          {
            Timestamp: 1,
            CloudWatchMetrics: [{ ...directive, Metrics: [{ Name: "M", StorageResolution: 5 }] }],
          },
          { Cluster: "c", M: 1 },
        ),
      ],
    ];
    for (const [what, l] of bad) assert.throws(() => assertEmfLine(l), assert.AssertionError, what);
  });

  it("the READMEs list every metric of the table", () => {
    const metricsReadme = readFileSync(path.join(__dirname, "../../metrics/README.md"), "utf8");
    const agentReadme = readFileSync(path.join(__dirname, "../../agent/README.md"), "utf8");
    for (const d of Object.values(METRICS) as MetricDefinition[]) {
      if (d.emf) assert.ok(metricsReadme.includes(`| \`${d.emf}\` |`), `${d.emf} in metrics/README.md`);
      if (d.prometheus)
        assert.ok(
          agentReadme.includes(`| \`${d.prometheus.name}\` |`),
          `${d.prometheus.name} in agent/README.md`,
        );
    }
  });

  it("the agent's Prometheus names and labels stay as published", async () => {
    const m = new AgentMetrics();
    const names = (await m.registry.getMetricsAsJSON()).map((x) => x.name).sort();
    assert.deepEqual(names, [
      "ecssd_agent_api_calls_total",
      "ecssd_agent_applied_records",
      "ecssd_agent_batches_applied_total",
      "ecssd_agent_changes_applied_total",
      "ecssd_agent_check_duration_seconds",
      "ecssd_agent_check_transitions_total",
      "ecssd_agent_checks",
      "ecssd_agent_consecutive_failed_syncs",
      "ecssd_agent_declarations_skipped_total",
      "ecssd_agent_desired_records",
      "ecssd_agent_ecs_introspection_requests_total",
      "ecssd_agent_errors_total",
      "ecssd_agent_last_sync_timestamp_seconds",
      "ecssd_agent_start_to_zone_seconds",
      "ecssd_agent_throttles_total",
      "ecssd_agent_zone_record_sets",
      "ecssd_agent_zone_record_sets_limit",
    ]);
    m.changesApplied("CREATE", 2);
    m.checkDone("http", true, 0.02);
    const text = await m.registry.metrics();
    assert.match(text, /ecssd_agent_changes_applied_total\{action="CREATE"\} 2/);
    assert.match(text, /ecssd_agent_check_duration_seconds_bucket\{le="0.025",kind="http",result="pass"\} 1/);
  });
});
