// The JSON summary of one reconcile run: what the handler returns and `ecssd reconcile` prints.
import type { DeleteReason } from "./staleRecords";

export type ReasonCounts = Record<DeleteReason, number>;

/** An instance that failed its health check. */
export interface HealthFailure {
  readonly record: string;
  readonly url: string;
  readonly detail: string;
}

export interface ReconcileSummary {
  readonly zone: { readonly id: string; readonly name: string };
  readonly inventory: { readonly kind: string } & Readonly<Record<string, number | string>>;
  readonly dryRun: boolean;
  readonly records: {
    /** Every record set in the zone. */
    readonly seen: number;
    /** Record sets whose SetIdentifier parses as ours. */
    readonly ours: number;
    readonly instances: number;
    readonly hosts: number;
    /** Everything else, never touched. */
    readonly foreign: number;
  };
  /** What the run decided to delete (also in a dry run, or when the safety valve tripped). */
  readonly planned: { readonly total: number; readonly byReason: ReasonCounts };
  /** What it did delete. */
  readonly deleted: {
    readonly total: number;
    readonly byReason: ReasonCounts;
    /** Already gone when we came to delete them. */
    readonly vanished: number;
    /** Changed meanwhile so that they no longer warranted deleting. */
    readonly keptAfterChange: number;
    readonly failed: number;
  };
  readonly health: {
    readonly enabled: boolean;
    /** Distinct endpoints checked. */
    readonly checked: number;
    readonly healthy: number;
    readonly failed: number;
    /** Not checked: no address for the host, or out of time. */
    readonly skipped: number;
    /** The first few failures, for the log reader. */
    readonly failures: readonly HealthFailure[];
  };
  readonly tasksStopped: number;
  readonly tasksStopFailed: number;
  readonly safetyValve: {
    readonly tripped: boolean;
    /** Planned deletes over our record sets. */
    readonly share: number;
    readonly maxShare: number;
    readonly reason?: string;
  };
  readonly apiCalls: {
    readonly total: number;
    readonly retries: number;
    readonly byOperation: Readonly<Record<string, number>>;
  };
  readonly durationMs: number;
}

export function zeroReasons(): ReasonCounts {
  return { "host-gone": 0, "task-gone": 0, "container-gone": 0, unhealthy: 0 };
}
