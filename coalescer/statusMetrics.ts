// The coalescer's CloudWatch metrics: once a minute, what its status (GET /v1/status) added since the last line
// (requests, throttles, batches, changes, refusals) and what it holds now (the queue, the zone against its quota).
import { EmfWriter, type PeriodicEmf, startPeriodicEmf } from "../metrics/emf";
import type { CoalescerStatus } from "./coalescer";

export interface StatusMetricsOptions {
  /** Default: stdout. */
  write?: (line: string) => void;
  /** The coalescer's ECSSD_EMF (`config.emf`); default true. */
  enabled?: boolean;
  everyMs?: number;
}

type Totals = Pick<CoalescerStatus, "batches" | "changes" | "throttled" | "refused"> & { requests: number };

function totals(s: CoalescerStatus): Totals {
  const requests = Object.values(s.requests).reduce((a, b) => a + b, 0);
  return { requests, batches: s.batches, changes: s.changes, throttled: s.throttled, refused: s.refused };
}

/** Starts the lines; `stop()` writes the last one. */
export function startStatusMetrics(
  status: () => CoalescerStatus,
  opts: StatusMetricsOptions = {},
): PeriodicEmf {
  const writer = new EmfWriter("coalescer", {
    enabled: opts.enabled ?? true,
    ...(opts.write && { write: opts.write }),
  });
  let last: Totals = { requests: 0, batches: 0, changes: 0, throttled: 0, refused: 0 };
  return startPeriodicEmf(
    writer,
    (w) => {
      const s = status();
      const now = totals(s);
      w.put("coalescerRequests", now.requests - last.requests)
        .put("coalescerThrottled", now.throttled - last.throttled)
        .put("coalescerBatches", now.batches - last.batches)
        .put("coalescerChanges", now.changes - last.changes)
        .put("coalescerRefused", now.refused - last.refused)
        .put("coalescerQueued", s.queued)
        .put("coalescerQueuedChanges", s.queuedChanges)
        .put("coalescerZoneRecordSets", s.recordSets);
      if (s.recordSetLimit !== undefined) w.put("coalescerZoneRecordSetsLimit", s.recordSetLimit);
      last = now;
      return { zone: s.zoneName };
    },
    opts.everyMs,
  );
}
