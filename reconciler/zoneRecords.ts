// The reconciler's zone access, over the AWS edge (route53/): read every record set (all pages), delete
// record sets exactly as read, in batches within Route53's request limits (a rejected batch is settled by the
// edge's deleteExactly: the sets that changed are re-read and retried alone), and write verdict markers in
// requests of their own. Every request goes through the run's AwsCall (counted, retried).
import type { Route53Client } from "@aws-sdk/client-route-53";
import { recordSetKey, type ZoneRecordSet } from "../records";
import {
  CHANGE_BATCH_LIMITS,
  changeRecordSets,
  type DeleteOutcome,
  deleteExactly,
  exactDeleteBatches,
  isRecordSetQuotaError,
  isRejectedBatch,
  listZoneRecordSets,
  ROUTE53_PAGE_SIZE,
  readRecordSet as readOne,
  rejectedRecordSets,
  unitBatches,
} from "../route53";
import type { AwsCall } from "../route53/awsCall";
import { errorText } from "../route53/exactDeletes";

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

/** What became of the verdict markers asked to be written. */
export interface MarkerOutcome {
  /** In the zone as given. */
  written: ZoneRecordSet[];
  /** Not written; each with the reason, and the error itself. */
  failed: { set: ZoneRecordSet; error: string; cause: unknown }[];
  /** The zone refused them for its record-set quota: the markers from that batch on were not written. */
  zoneFull: boolean;
}

const MARKER_COMMENT = "ecssd reconciler: record the verdict on instances that fail health checks";

/**
 * UPSERTs verdict markers in requests of TXT UPSERTs alone, as few as Route53's limits allow: the only
 * writes the reconciler's role allows (IAM's conditions see a batch's types and actions as sets, so a batch
 * that also deleted an SRV set could as well write one; infra/policies.ts). A batch the zone rejects is
 * settled: the markers its error names fail and the rest are sent again; when it names none, the batch is
 * halved until the culprit is alone. Any other error (throttling past every retry) fails the batch's
 * markers, and the next batch goes on. A zone too full for them (its record-set quota) fails that batch and
 * every one after it, unsent: no culprit is hunted, and no marker would pass.
 */
export async function upsertMarkers(
  route53: Route53Client,
  zoneId: string,
  markers: readonly ZoneRecordSet[],
  calls: AwsCall,
): Promise<MarkerOutcome> {
  const outcome: MarkerOutcome = { written: [], failed: [], zoneFull: false };
  const upserts = (batch: readonly ZoneRecordSet[]) =>
    batch.map((recordSet) => ({ action: "UPSERT" as const, recordSet }));
  const fail = (batch: readonly ZoneRecordSet[], err: unknown) => {
    for (const set of batch) outcome.failed.push({ set, error: errorText(err), cause: err });
  };
  const write = async (batch: readonly ZoneRecordSet[]): Promise<void> => {
    try {
      await changeRecordSets(route53, zoneId, upserts(batch), MARKER_COMMENT, calls.call);
      outcome.written.push(...batch);
      return;
    } catch (err) {
      if (isRecordSetQuotaError(err)) {
        outcome.zoneFull = true;
        return fail(batch, err);
      }
      if (!isRejectedBatch(err) || batch.length === 1) return fail(batch, err);
      const named = new Set(rejectedRecordSets(err).map(recordSetKey));
      const culprits = batch.filter((m) => named.has(recordSetKey(m)));
      if (culprits.length > 0) {
        fail(culprits, err);
        const rest = batch.filter((m) => !named.has(recordSetKey(m)));
        if (rest.length > 0) await write(rest);
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await write(batch.slice(0, half));
      await write(batch.slice(half));
    }
  };
  for (const batch of unitBatches(markers, (m) => upserts([m]))) {
    if (outcome.zoneFull) fail(batch, new Error("not sent: the zone is full (its record-set quota)"));
    else await write(batch);
  }
  return outcome;
}
