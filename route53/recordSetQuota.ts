// The zone's record-set quota ("Records per hosted zone", GetHostedZoneLimit MAX_RRSETS_BY_ZONE), as every
// writer meets it: recognising Route53's refusal of a batch that would exceed it, and saying, at most once a
// minute per zone, which zone is full and what to do. No SDK import (the agent's core imports this file on
// its own); asking GetHostedZoneLimit is recordSetUsage.ts.
//
// What Route53 answers. ChangeResourceRecordSets models five errors (InvalidChangeBatch, InvalidInput,
// NoSuchHealthCheck, NoSuchHostedZone, PriorRequestNotComplete) and the SDK's model has no exception of its
// own for the zone quota (its TooMany* errors are for hosted zones, health checks, traffic policies,
// key-signing keys and VPC authorizations), so the refusal is a rejected batch, InvalidChangeBatch (or
// InvalidInput), told apart by its words. Route53 words the limits of a batch as "Exceeded limit on number of
// weighted RRSets for <name>, type <type> in this zone." (the per-name limit, quoted in airbnb/zonify#16) and
// "Number of records limit of 1000 exceeded." (the per-request limit, DNSControl/dnscontrol#1114); we found no
// public copy of its exact words for the zone quota. So we accept the per-name message's form for the whole
// zone, which the local zone answers (local/zone/batchRules.ts quotaProblem: "Exceeded limit on number of
// RRSets in this zone: ..."), and the quota's names (MAX_RRSETS_BY_ZONE, "Records per hosted zone"), and
// never the per-name or per-request limits, which raising the quota would not cure.
import { classifyError } from "./errorClass";

/** The zone's record sets and its quota, as GetHostedZoneLimit MAX_RRSETS_BY_ZONE reports them. */
export interface RecordSetUsage {
  /** Record sets in the zone, the apex SOA and NS included (GetHostedZoneLimit's Count). */
  readonly used: number;
  /** The zone's quota (GetHostedZoneLimit's Limit.Value). */
  readonly limit: number;
}

const QUOTA_WORDS: readonly RegExp[] = [
  /exceeded (?:the )?limit on (?:the )?number of (?:rrsets|resource record sets|record sets|records) (?:in|for) (?:this|the) (?:hosted )?zone/i,
  /\bMAX_RRSETS_BY_ZONE\b/,
  /\brecords per hosted zone\b/i,
];

/**
 * True when Route53 refused a batch because it would leave the zone with more record sets than its quota:
 * a rejected batch (InvalidChangeBatch, InvalidInput, or the edge's InvalidChangeBatchError wrapping one)
 * whose message says so. Looks through `cause` (the edge's translated errors keep the SDK's there).
 */
export function isRecordSetQuotaError(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; typeof e === "object" && e !== null && depth < 5; depth++) {
    if (classifyError(e).kind === "rejected" && QUOTA_WORDS.some((w) => w.test(refusalText(e as object))))
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The message and, for InvalidChangeBatch, each of its `messages`. */
function refusalText(err: object): string {
  const e = err as { message?: unknown; messages?: unknown };
  const messages = Array.isArray(e.messages) ? e.messages.filter((m) => typeof m === "string") : [];
  return [typeof e.message === "string" ? e.message : "", ...messages].join("\n");
}

/** A hosted zone as the warning names it. */
export interface QuotaZone {
  readonly name: string;
  readonly id: string;
}

/** The warning's line (pino's shape). */
export interface QuotaLog {
  warn(obj: object, msg: string): void;
}

/** At most one warning per zone per this interval. */
export const QUOTA_WARNING_INTERVAL_MS = 60_000;

/** What to do, in one place for every writer's line and for `ecssd stack status`. */
export const QUOTA_ADVICE =
  'raise the "Records per hosted zone" quota of the zone (Service Quotas or AWS Support) or remove record sets';

/** The warning's words: which zone, how full when known, and what to do. */
export function quotaWarningText(zone: QuotaZone, usage?: RecordSetUsage): string {
  const full = usage ? `is full: ${usage.used} of ${usage.limit} record sets` : "is full";
  return `zone ${zone.name} (${zone.id}) ${full}; ${QUOTA_ADVICE}`;
}

/**
 * Says that a zone is full, at most once per interval per zone, whoever meets the refusal (the agent, the
 * registrar, the reconciler, the coalescer): a fleet retrying every few seconds must not bury the log, and
 * must not ask GetHostedZoneLimit with every retry either, so the usage is asked only for a line that is
 * logged. A refusal between two lines is counted, and the next line says how many.
 */
export class QuotaWarning {
  private readonly lines = new Map<string, { at: number; suppressed: number }>();
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly log: QuotaLog,
    options: { intervalMs?: number; now?: () => number } = {},
  ) {
    this.intervalMs = options.intervalMs ?? QUOTA_WARNING_INTERVAL_MS;
    this.now = options.now ?? Date.now;
  }

  /**
   * One refusal for `zone`. Logs the warning unless one was logged for the zone within the interval; only
   * then asks `usage` (GetHostedZoneLimit), whose failure (e.g. a role without the permission) only leaves
   * the figures out. Resolves with what it logged, or undefined. Never rejects.
   */
  async report(
    zone: QuotaZone,
    usage?: () => Promise<RecordSetUsage | undefined>,
  ): Promise<{ usage?: RecordSetUsage } | undefined> {
    const now = this.now();
    const last = this.lines.get(zone.id);
    if (last && now - last.at < this.intervalMs) {
      last.suppressed++;
      return undefined;
    }
    // Taken before the ask, so refusals that arrive while it is under way are counted, not logged again.
    this.lines.set(zone.id, { at: now, suppressed: 0 });
    const suppressed = last?.suppressed ?? 0;
    const asked = usage ? await usage().catch(() => undefined) : undefined;
    this.log.warn(
      {
        action: "record-set-quota",
        zone: zone.name,
        zoneId: zone.id,
        ...(asked && { used: asked.used, limit: asked.limit }),
        ...(suppressed > 0 && { suppressed }),
      },
      quotaWarningText(zone, asked),
    );
    return asked ? { usage: asked } : {};
  }
}
