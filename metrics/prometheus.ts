// Prometheus metrics made from the one table (definitions.ts): the name, labels, buckets and help come from there.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { METRICS, type MetricDefinition, type MetricKey } from "./definitions";

function facet(key: MetricKey, kind: MetricDefinition["kind"]) {
  const def: MetricDefinition = METRICS[key];
  if (!def.prometheus) throw new Error(`metric ${key} has no Prometheus name`);
  if (def.kind !== kind) throw new Error(`metric ${key} is a ${def.kind}, not a ${kind}`);
  return {
    name: def.prometheus.name,
    help: def.meaning,
    labelNames: [...(def.prometheus.labelNames ?? [])],
    registers: [],
    ...(def.prometheus.buckets && { buckets: [...def.prometheus.buckets] }),
  };
}

export function promCounter(key: MetricKey, registry: Registry): Counter {
  const c = new Counter(facet(key, "counter"));
  registry.registerMetric(c);
  return c;
}

export function promGauge(key: MetricKey, registry: Registry): Gauge {
  const g = new Gauge(facet(key, "gauge"));
  registry.registerMetric(g);
  return g;
}

export function promHistogram(key: MetricKey, registry: Registry): Histogram {
  const h = new Histogram(facet(key, "histogram"));
  registry.registerMetric(h);
  return h;
}
