// The OpenTelemetry bridge: the resolver's diagnostics channels (diagnostics.ts) recorded as OpenTelemetry metrics.
// `@opentelemetry/api` is an optional peer dependency: nothing loads it until enableOpenTelemetry is called, so a
// process without it never pays for it. Turned on by a call, as OpenTelemetry's instrumentations are, never by an
// import: a library that starts recording because another package is installed is a surprise. And it listens only
// while its MeterProvider is a real one: with OpenTelemetry's no-op provider (no SDK registered), no channel has a
// subscriber, so no message is even built on the request path.
import diagnostics from "node:diagnostics_channel";
import type * as OpenTelemetryApi from "@opentelemetry/api";
import {
  type AttemptMessage,
  CHANNEL_NAMES,
  type EjectedMessage,
  type LookupMessage,
  type ReturnedMessage,
} from "./diagnostics";
import { endpointKey } from "./srvSelect";

/** A MeterProvider, as `@opentelemetry/api` defines it (written here so our types do not need that package). */
export interface MeterProviderLike {
  getMeter(name: string, version?: string, options?: object): unknown;
}

/** Settings of {@link enableOpenTelemetry}. */
export interface OpenTelemetryOptions {
  /** Where to record. Default: the global MeterProvider (`metrics.getMeterProvider()`) at the time of the call. */
  readonly meterProvider?: MeterProviderLike;
}

/**
 * What {@link enableOpenTelemetry} returns. It has the shape of an OpenTelemetry `Instrumentation`, so it can be
 * listed in the SDK's `instrumentations` (NodeSDK, `registerInstrumentations`), which hand it their MeterProvider.
 */
export interface ResolverInstrumentation {
  readonly instrumentationName: string;
  readonly instrumentationVersion: string;
  /** Whether it records now: enabled, with a MeterProvider that is not OpenTelemetry's no-op one. */
  readonly recording: boolean;
  enable(): void;
  disable(): void;
  setMeterProvider(meterProvider: MeterProviderLike): void;
  /** The resolver makes no spans of its own (undici's instrumentation makes the HTTP ones); accepted and unused. */
  setTracerProvider(tracerProvider: unknown): void;
  getConfig(): { enabled: boolean };
  setConfig(config: { enabled?: boolean }): void;
}

/** The names of what the bridge records. `dns.lookup.duration` is OpenTelemetry's; the others are ours. */
export const METRIC_NAMES = {
  lookupDuration: "dns.lookup.duration",
  ejections: "ecssd.outlier.ejections",
  ejectedInstances: "ecssd.outlier.ejected_instances",
  resends: "ecssd.request.resends",
} as const;

/** The attribute that names the service (its SRV name) on our metrics. */
export const ATTR_SERVICE = "ecssd.service.name";

/**
 * At most this many services, and this many instances in all, are held as ejected between two collections: a
 * MeterProvider may never collect, and anyone may publish on the channels. A resolver's own detector records at
 * most 10,000 instances, so its ejections never reach the bound.
 */
const MAX_EJECTED = 10_000;

/** The semantic conventions' advice for `dns.lookup.duration`, in seconds. */
const LOOKUP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

type Api = typeof OpenTelemetryApi;

function loadApi(): Api {
  try {
    return require("@opentelemetry/api") as Api;
  } catch (err) {
    throw new Error(
      "enableOpenTelemetry needs @opentelemetry/api, an optional peer dependency of @ecssd/resolver: install it " +
        "beside the OpenTelemetry SDK your process uses",
      { cause: err },
    );
  }
}

function isMeterProvider(value: unknown): value is MeterProviderLike {
  return typeof (value as MeterProviderLike | null)?.getMeter === "function";
}

/** Instruments from one meter. */
interface Instruments {
  readonly live: boolean;
  readonly lookupDuration: OpenTelemetryApi.Histogram;
  readonly ejections: OpenTelemetryApi.Counter;
  readonly ejectedInstances: OpenTelemetryApi.ObservableUpDownCounter;
  readonly resends: OpenTelemetryApi.Counter;
}

class Bridge implements ResolverInstrumentation {
  readonly instrumentationName = "@ecssd/resolver";
  readonly instrumentationVersion: string;
  private enabled = false;
  private subscribed = false;
  private instruments!: Instruments;
  /**
   * Instances ejected now, by service, with when their ejection ends (a missed "returned" cannot leave one in);
   * the service ejected from last is last.
   */
  private readonly ejected = new Map<string, Map<string, number>>();
  /** Instances in {@link ejected}, across services. */
  private ejectedHeld = 0;
  private readonly handlers: ReadonlyArray<readonly [string, (message: unknown) => void]>;

  constructor(
    private readonly api: Api,
    meterProvider: MeterProviderLike,
  ) {
    this.instrumentationVersion = (require("../package.json") as { version: string }).version;
    // Channels are public: anyone may publish on them, so a handler checks what it is given and never throws
    // (a subscriber's exception would be rethrown on the next tick and could end the process).
    const guarded =
      (handle: (message: never) => void, valid: (message: Record<string, unknown>) => boolean) =>
      (message: unknown): void => {
        try {
          if (typeof message === "object" && message !== null && valid(message as Record<string, unknown>)) {
            handle(message as never);
          }
        } catch (err) {
          this.api.diag.error("@ecssd/resolver: recording a diagnostics channel message failed", err);
        }
      };
    this.handlers = [
      [
        CHANNEL_NAMES.lookup,
        guarded(this.onLookup, (m) => typeof m.name === "string" && isDuration(m.durationMs)),
      ],
      [CHANNEL_NAMES.attempt, guarded(this.onAttempt, (m) => typeof m.service === "string")],
      [
        CHANNEL_NAMES.ejected,
        guarded(this.onEjected, (m) => typeof m.service === "string" && hasEndpoint(m)),
      ],
      [
        CHANNEL_NAMES.returned,
        guarded(this.onReturned, (m) => typeof m.service === "string" && hasEndpoint(m)),
      ],
    ];
    this.setMeterProvider(meterProvider);
  }

  get recording(): boolean {
    return this.subscribed;
  }

  enable(): void {
    this.enabled = true;
    this.follow();
  }

  disable(): void {
    this.enabled = false;
    this.follow();
  }

  setMeterProvider(meterProvider: MeterProviderLike): void {
    if (!isMeterProvider(meterProvider)) {
      throw new TypeError(`[meterProvider] must have a getMeter method, got ${describe(meterProvider)}`);
    }
    const meter = meterProvider.getMeter(this.instrumentationName, this.instrumentationVersion) as
      | OpenTelemetryApi.Meter
      | undefined;
    if (typeof meter?.createHistogram !== "function") {
      throw new TypeError("[meterProvider] getMeter did not return a Meter");
    }
    this.instruments?.ejectedInstances.removeCallback(this.observeEjected);
    const ejectedInstances = meter.createObservableUpDownCounter(METRIC_NAMES.ejectedInstances, {
      description: "Instances of a service ejected by outlier detection now.",
      unit: "{instance}",
    });
    ejectedInstances.addCallback(this.observeEjected);
    this.instruments = {
      live: meter !== this.api.createNoopMeter?.(),
      lookupDuration: meter.createHistogram(METRIC_NAMES.lookupDuration, {
        description: "Measures the time taken to perform a DNS lookup.",
        unit: "s",
        advice: { explicitBucketBoundaries: LOOKUP_BUCKETS },
      }),
      ejections: meter.createCounter(METRIC_NAMES.ejections, {
        description: "Instances ejected by outlier detection.",
        unit: "{ejection}",
      }),
      ejectedInstances,
      resends: meter.createCounter(METRIC_NAMES.resends, {
        description: "Requests sent again to another instance of their service (failovers).",
        unit: "{resend}",
      }),
    };
    this.follow();
  }

  setTracerProvider(_tracerProvider: unknown): void {}

  getConfig(): { enabled: boolean } {
    return { enabled: this.enabled };
  }

  setConfig(config: { enabled?: boolean }): void {
    if (config?.enabled === false) this.disable();
    else if (config?.enabled === true) this.enable();
  }

  /** Listens exactly while enabled with a real MeterProvider. */
  private follow(): void {
    const want = this.enabled && this.instruments.live;
    if (want === this.subscribed) return;
    for (const [name, handler] of this.handlers) {
      if (want) diagnostics.subscribe(name, handler);
      else diagnostics.unsubscribe(name, handler);
    }
    this.subscribed = want;
  }

  private readonly onLookup = (message: LookupMessage): void => {
    const attributes: OpenTelemetryApi.Attributes = { "dns.question.name": message.name };
    if (message.errorType !== undefined) attributes["error.type"] = String(message.errorType);
    this.instruments.lookupDuration.record(message.durationMs / 1000, attributes);
  };

  private readonly onAttempt = (message: AttemptMessage): void => {
    if (message.resendCount > 0) this.instruments.resends.add(1, { [ATTR_SERVICE]: message.service });
  };

  private readonly onEjected = (message: EjectedMessage): void => {
    this.instruments.ejections.add(1, {
      [ATTR_SERVICE]: message.service,
      "ecssd.outlier.reason": message.reason,
    });
    const now = performance.now();
    let instances = this.ejected.get(message.service);
    if (instances === undefined) instances = new Map();
    else this.ejected.delete(message.service);
    this.ejected.set(message.service, instances);
    // Pruned here too, not only when collected: with a MeterProvider that never collects, a service's ejections
    // that are over would pile up.
    this.expire(instances, now);
    const key = endpointKey(message.endpoint);
    if (!instances.has(key)) this.ejectedHeld++;
    const durationMs = isDuration(message.durationMs) ? message.durationMs : 0;
    instances.set(key, now + durationMs);
    while (this.ejectedHeld > MAX_EJECTED || this.ejected.size > MAX_EJECTED) this.dropOldest();
  };

  private readonly onReturned = (message: ReturnedMessage): void => {
    if (this.ejected.get(message.service)?.delete(endpointKey(message.endpoint))) this.ejectedHeld--;
  };

  /** Forgets the ejections of `instances` that are over at `now`. */
  private expire(instances: Map<string, number>, now: number): void {
    for (const [key, until] of instances) {
      if (until > now) continue;
      instances.delete(key);
      this.ejectedHeld--;
    }
  }

  /** Past the bound: forgets the oldest ejection of the service ejected from least recently, or that service. */
  private dropOldest(): void {
    const first = this.ejected.entries().next().value;
    if (first === undefined) return;
    const [service, instances] = first;
    const oldest = instances.keys().next().value;
    if (oldest === undefined) {
      this.ejected.delete(service);
      return;
    }
    instances.delete(oldest);
    this.ejectedHeld--;
  }

  private readonly observeEjected = (result: OpenTelemetryApi.ObservableResult): void => {
    const now = performance.now();
    for (const [service, instances] of this.ejected) {
      this.expire(instances, now);
      result.observe(instances.size, { [ATTR_SERVICE]: service });
      // Told 0 once, a service with none ejected is forgotten: the map holds only services with ejections.
      if (instances.size === 0) this.ejected.delete(service);
    }
  };
}

function isDuration(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

function hasEndpoint(message: Record<string, unknown>): boolean {
  const endpoint = message.endpoint as { address?: unknown; port?: unknown } | null | undefined;
  return typeof endpoint?.address === "string" && typeof endpoint.port === "number";
}

function describe(value: unknown): string {
  return value === null ? "null" : typeof value;
}

/**
 * Records the resolver's OpenTelemetry metrics: `dns.lookup.duration` (seconds, by `dns.question.name`, with
 * `error.type` when no server answered), `ecssd.outlier.ejections` and `ecssd.outlier.ejected_instances` (by
 * `ecssd.service.name`), and `ecssd.request.resends` (failovers, by `ecssd.service.name`). Needs `@opentelemetry/api`
 * (an optional peer dependency; a clear error says so when it is missing). Records nothing, and costs nothing,
 * while the MeterProvider is OpenTelemetry's no-op one: call it after the SDK has started, pass `meterProvider`,
 * or list the result in the SDK's `instrumentations`, which hands it the SDK's MeterProvider. Call it once: each
 * call records on its own. For HTTP spans, see {@link undiciStartSpanHook}.
 *
 * @example
 * ```ts
 * import { NodeSDK } from "@opentelemetry/sdk-node";
 * const sdk = new NodeSDK({ instrumentations: [enableOpenTelemetry()] });
 * sdk.start();
 * ```
 */
export function enableOpenTelemetry(options: OpenTelemetryOptions = {}): ResolverInstrumentation {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`enableOpenTelemetry options must be an object, got ${describe(options)}`);
  }
  const api = loadApi();
  const bridge = new Bridge(api, options.meterProvider ?? api.metrics.getMeterProvider());
  bridge.enable();
  return bridge;
}
