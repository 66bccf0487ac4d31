// Fault injection for the local zone's Route53 API, so clients can be tested against the
// failures Route53 really produces: Throttling (5 requests/s per account),
// PriorRequestNotComplete, slow answers and 5xx.
import { Route53Error } from "./route53Errors";

/** Faults to inject; every field is optional and an empty object clears them all. */
export interface FaultSettings {
  /** Requests per second allowed (token bucket, burst = one second's worth); beyond it, Throttling. 0 = no limit. */
  throttleRps?: number;
  /** Probability (0–1) that a write (ChangeResourceRecordSets, Create/DeleteHostedZone) fails with PriorRequestNotComplete. */
  priorRequestNotCompleteRate?: number;
  /** Delay added before every API answer, in milliseconds. */
  latencyMs?: number;
  /** Probability (0–1) of a 500 InternalError or 503 ServiceUnavailable. */
  serverErrorRate?: number;
}

const FIELDS: Record<keyof FaultSettings, { max: number; what: string }> = {
  throttleRps: { max: 1_000_000, what: "requests per second, at least 0" },
  priorRequestNotCompleteRate: { max: 1, what: "a probability between 0 and 1" },
  latencyMs: { max: 600_000, what: "milliseconds between 0 and 600000" },
  serverErrorRate: { max: 1, what: "a probability between 0 and 1" },
};

/** Validates fault settings from JSON or flags; throws an Error naming the bad field. */
export function parseFaultSettings(input: unknown): FaultSettings {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new Error("fault settings must be a JSON object");
  }
  const out: FaultSettings = {};
  for (const [key, value] of Object.entries(input)) {
    if (!(key in FIELDS)) {
      throw new Error(`unknown fault setting "${key}" (known: ${Object.keys(FIELDS).join(", ")})`);
    }
    const spec = FIELDS[key as keyof FaultSettings];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > spec.max) {
      throw new Error(`fault setting "${key}" must be ${spec.what}, got ${JSON.stringify(value)}`);
    }
    out[key as keyof FaultSettings] = value;
  }
  return out;
}

const WRITES = new Set(["ChangeResourceRecordSets", "CreateHostedZone", "DeleteHostedZone"]);

/** Decides, per API call, whether and how it fails. */
export class FaultInjector {
  private settings: FaultSettings = {};
  private tokens = 0;
  private refilledAt = 0;

  constructor(
    settings: FaultSettings = {},
    private readonly random: () => number = Math.random,
  ) {
    this.set(settings);
  }

  set(settings: FaultSettings): void {
    this.settings = parseFaultSettings(settings);
    this.tokens = Math.max(1, this.settings.throttleRps ?? 0);
    this.refilledAt = Date.now();
  }

  get(): FaultSettings {
    return { ...this.settings };
  }

  /** Waits the configured latency, then returns the error to answer instead, if any. */
  async before(action: string): Promise<Route53Error | undefined> {
    const { latencyMs, throttleRps, serverErrorRate, priorRequestNotCompleteRate } = this.settings;
    if (latencyMs) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    if (throttleRps && !this.takeToken(throttleRps)) {
      return new Route53Error("Throttling", "Rate exceeded", 400);
    }
    if (serverErrorRate && this.random() < serverErrorRate) {
      return this.random() < 0.5
        ? new Route53Error("InternalError", "An internal error occurred. Try again.", 500)
        : new Route53Error("ServiceUnavailable", "The service is unavailable. Try again.", 503);
    }
    if (priorRequestNotCompleteRate && WRITES.has(action) && this.random() < priorRequestNotCompleteRate) {
      return new Route53Error(
        "PriorRequestNotComplete",
        "The request was rejected because Route 53 was still processing a prior request.",
        400,
      );
    }
    return undefined;
  }

  private takeToken(rps: number): boolean {
    const now = Date.now();
    this.tokens = Math.min(Math.max(1, rps), this.tokens + ((now - this.refilledAt) / 1000) * rps);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
