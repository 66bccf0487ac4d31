// EMF lines (CloudWatch's Embedded Metric Format) made by Powertools for AWS Lambda's Metrics utility, for every
// component: the Lambdas and the long-running agent and coalescer alike (metrics/README.md says why it fits
// outside Lambda). Metrics are named by their key in the one table (definitions.ts), never by a string.
import { Metrics } from "@aws-lambda-powertools/metrics";
import { EMF } from "../settings/sharedSettings";
import { type Component, type EmfKey, METRICS, METRICS_NAMESPACE, type MetricKey } from "./definitions";

/** The off switch: `ECSSD_EMF=off` where nobody wants CloudWatch lines in the log (settings/sharedSettings.ts). */
export const EMF_SETTING = EMF.env;

export class EmfSettingError extends Error {
  override name = "EmfSettingError";
}

/**
 * Whether EMF lines are written, read from `env` by the setting's own row: on unless ECSSD_EMF is `off`; any
 * other value than `on`/`off` is an error. The components read it through their configs (`config.emf`); this
 * is for code that has none.
 */
export function emfEnabled(env: Readonly<Record<string, string | undefined>>): boolean {
  const text = env[EMF_SETTING]?.trim();
  if (text === undefined || text === "") return EMF.default ?? true;
  const parsed = EMF.parse(text);
  if ("problems" in parsed) throw new EmfSettingError(`[${EMF_SETTING}] ${parsed.problems.join("; ")}`);
  return parsed.value;
}

export interface EmfWriterOptions {
  /** Where a line goes; default: stdout, the log stream CloudWatch reads (Lambda's, or the awslogs driver's). */
  write?: (line: string) => void;
  /** The ECS cluster, the one dimension beside the component; none when unknown. */
  cluster?: string;
  /** Default true; false: `flush` writes nothing and forgets what was put. */
  enabled?: boolean;
}

/** Writes one component's metrics as EMF lines: `put` them, then `flush` one line. */
export class EmfWriter<C extends Component> {
  private readonly metrics: Metrics;
  private readonly write: (line: string) => void;
  private readonly enabled: boolean;
  private readonly cluster: string | undefined;

  constructor(
    readonly component: C,
    opts: EmfWriterOptions = {},
  ) {
    this.metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: `ecssd-${component}` });
    this.write = opts.write ?? ((line) => void process.stdout.write(`${line}\n`));
    this.enabled = opts.enabled ?? true;
    this.cluster = opts.cluster;
  }

  /** Adds a value (a counter's increase, a gauge's reading); the same key twice in a line gives two values. */
  put(key: EmfKey<C>, value: number): this {
    const def = METRICS[key as MetricKey];
    if (def.component !== this.component || !("emf" in def) || def.emf === undefined)
      throw new Error(`metric ${String(key)} is not one the ${this.component} sends as EMF`);
    if (!Number.isFinite(value)) throw new Error(`metric ${def.emf}: ${value} is not a finite number`);
    this.metrics.addMetric(def.emf, def.unit, value);
    return this;
  }

  /**
   * Writes what was put as one line, with `properties` beside the metrics (a host id, a task id: searchable in
   * Logs Insights, never dimensions), and starts afresh. Nothing put: nothing written. Returns the line.
   */
  flush(properties: Readonly<Record<string, string>> = {}): string | undefined {
    if (!this.metrics.hasStoredMetrics()) return undefined;
    if (!this.enabled) {
      this.metrics.clearMetrics();
      return undefined;
    }
    if (this.cluster !== undefined) this.metrics.addDimension("Cluster", this.cluster);
    for (const [k, v] of Object.entries(properties)) this.metrics.addMetadata(k, v);
    const line = JSON.stringify(this.metrics.serializeMetrics());
    this.metrics.clearMetrics();
    this.metrics.clearDimensions();
    this.metrics.clearMetadata();
    this.write(line);
    return line;
  }
}

/** Every `everyMs`, `collect` puts the values of the moment into `writer`, and one line is written. */
export interface PeriodicEmf {
  /** Stops the timer and writes a last line (what changed since the previous one). */
  stop(): void;
  /** Writes a line now (tests; a stop). */
  flushNow(): string | undefined;
}

export const EMF_EVERY_MS = 60_000;

export function startPeriodicEmf<C extends Component>(
  writer: EmfWriter<C>,
  collect: (writer: EmfWriter<C>) => Readonly<Record<string, string>> | undefined,
  everyMs = EMF_EVERY_MS,
): PeriodicEmf {
  const flushNow = () => {
    const properties = collect(writer);
    return writer.flush(properties ?? {});
  };
  const timer = setInterval(() => {
    // A metrics line must never take the process down.
    try {
      flushNow();
    } catch (err) {
      process.stderr.write(`EMF line not written: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }, everyMs);
  timer.unref();
  return {
    flushNow,
    stop() {
      clearInterval(timer);
      flushNow();
    },
  };
}
