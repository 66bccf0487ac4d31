// The reconciler's zone access, over the AWS edge (route53/): read every record set (all pages), and delete
// record sets exactly as read, in batches within Route53's request limits; a rejected batch is settled by the
// edge's deleteExactly (the sets that changed are re-read and retried alone). Every request goes through the
// run's AwsCall (counted, retried).
import type { Route53Client } from "@aws-sdk/client-route-53";
import type { ZoneRecordSet } from "../records";
import {
  CHANGE_BATCH_LIMITS,
  type DeleteOutcome,
  deleteExactly,
  exactDeleteBatches,
  listZoneRecordSets,
  ROUTE53_PAGE_SIZE,
  readRecordSet as readOne,
} from "../route53";
import type { AwsCall } from "../route53/awsCall";

export { CHANGE_BATCH_LIMITS, type DeleteOutcome, ROUTE53_PAGE_SIZE };

const DELETE_COMMENT =
  "ecssd reconciler: remove records whose task, container or host is gone, or that fail health checks";

/**
 * Reads every record set of the zone, page after page: ours and everyone else's, of every type (SOA, NS,
 * TXT, aliases...), so the run can count what it saw.
 */
export function listRecordSets(
  route53: Route53Client,
  zoneId: string,
  calls: AwsCall,
): Promise<ZoneRecordSet[]> {
  return listZoneRecordSets(route53, zoneId, { call: calls.call });
}

/** Reads one record set afresh (one request); undefined when it no longer exists. */
export function readRecordSet(
  route53: Route53Client,
  zoneId: string,
  set: ZoneRecordSet,
  calls: AwsCall,
): Promise<ZoneRecordSet | undefined> {
  return readOne(route53, zoneId, set, calls.call);
}

/** Splits deletions into requests within Route53's limits on changes, records and value characters. */
export function changeBatches<S extends ZoneRecordSet>(sets: readonly S[]): S[][] {
  return exactDeleteBatches(sets.map((set) => ({ set }))).map((batch) => batch.map((d) => d.set));
}

export interface DeleteOptions {
  /**
   * Decides whether a set that changed since it was read should still go (default: yes). The
   * SetIdentifier is unchanged, so whatever ownership says about it still holds.
   */
  stillDelete?: (current: ZoneRecordSet, original: ZoneRecordSet) => boolean;
}

/**
 * Deletes record sets exactly as they were read, in as few requests as the limits allow. A batch rejected
 * because some sets changed or vanished meanwhile is retried without them, and each of them is re-read
 * and retried alone; when the error does not say which sets, the batch is halved until it does. A batch
 * that fails otherwise (throttling past every retry) is reported in `failed`, and the rest go on.
 */
export function deleteRecordSets(
  route53: Route53Client,
  zoneId: string,
  sets: readonly ZoneRecordSet[],
  calls: AwsCall,
  options: DeleteOptions = {},
): Promise<DeleteOutcome> {
  return deleteExactly(
    route53,
    zoneId,
    sets.map((set) => ({ set })),
    {
      comment: DELETE_COMMENT,
      call: calls.call,
      stillDelete: options.stillDelete ?? (() => true),
      reportFailures: true,
    },
  );
}

/** An instance to take out for failing its checks, and the verdict marker that goes in with its deletion. */
export interface VerdictChange {
  /** The SRV set as read. */
  readonly set: ZoneRecordSet;
  readonly marker: ZoneRecordSet;
}

/** Pairs per request: 50 × (one DELETE + one UPSERT, which counts twice) stays far inside every limit. */
const VERDICT_PAIRS_PER_BATCH = 50;
const VERDICT_COMMENT = "ecssd reconciler: remove instances that fail health checks, and record the verdict";

/**
 * Deletes each instance and UPSERTs its verdict marker in the same change batch, so an instance is never
 * out of DNS without the marker that keeps its agent from writing it back, nor marked while still in DNS.
 * A rejected batch is settled as in {@link deleteRecordSets}, each instance with its marker. The outcome
 * speaks of the instances' SRV sets.
 */
export function replaceWithVerdicts(
  route53: Route53Client,
  zoneId: string,
  changes: readonly VerdictChange[],
  calls: AwsCall,
  options: DeleteOptions = {},
): Promise<DeleteOutcome> {
  return deleteExactly(
    route53,
    zoneId,
    changes.map(({ set, marker }) => ({
      set,
      alongside: [{ action: "UPSERT" as const, recordSet: marker }],
    })),
    {
      comment: VERDICT_COMMENT,
      call: calls.call,
      perBatch: VERDICT_PAIRS_PER_BATCH,
      stillDelete: options.stillDelete ?? (() => true),
      reportFailures: true,
    },
  );
}
