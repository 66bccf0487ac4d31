// Which CloudWatch metrics each component emits, for the dashboard and the alarms: a name they use that is not
// here is a metric nothing writes.
import { type Component, METRICS, type MetricDefinition } from "./definitions";

/** The EMF metric names `component` writes (every component when none is given), sorted. */
export function emittedMetricNames(component?: Component): string[] {
  return (Object.values(METRICS) as MetricDefinition[])
    .filter((d) => d.emf !== undefined && (component === undefined || d.component === component))
    .map((d) => d.emf as string)
    .sort();
}

/** Every component's EMF metric names. */
export const EMITTED_METRICS: Readonly<Record<Component, readonly string[]>> = {
  agent: emittedMetricNames("agent"),
  reconciler: emittedMetricNames("reconciler"),
  registrar: emittedMetricNames("registrar"),
  coalescer: emittedMetricNames("coalescer"),
};

export { METRICS_NAMESPACE } from "./definitions";
