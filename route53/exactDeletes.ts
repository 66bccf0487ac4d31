// "Delete exactly these sets": DELETEs of record sets exactly as they were read, in as few requests as
// Route53's limits allow. Route53 applies a batch all or nothing and rejects it whole when one of its sets no
// longer matches what is stored (it changed, or is gone), so what matters is what happens then. Every writer
// deletes through here: the reconciler (stale and failing instances, hosts, verdict markers), the registrar
// (a stopped task's sets) and the destroy-time cleanup. A request holds DELETEs alone: IAM lets each role
// delete more than it may write (infra/policies.ts).
import type { Route53Client } from "@aws-sdk/client-route-53";
import { recordSetKey, type ZoneRecordSet } from "../records";
import { type Route53Call, sendOnce } from "./call";
import { unitBatches } from "./changeBatches";
import { changeRecordSets, type ZoneChange } from "./changeRecordSets";
import { isRejectedBatch, rejectedRecordSets } from "./errorClass";
import { recordSetPages } from "./recordSetPages";

/** One set to delete exactly as read. */
export interface ExactDelete {
  readonly set: ZoneRecordSet;
}

/** What became of each set asked to be deleted. */
export interface DeleteOutcome {
  /** Deleted, as read or as re-read after it changed. */
  deleted: ZoneRecordSet[];
  /** Gone before we got to it (someone else deleted it): nothing to do. */
  vanished: ZoneRecordSet[];
  /** Changed meanwhile in a way that no longer warrants deleting it, per `stillDelete`. */
  keptAfterChange: ZoneRecordSet[];
  /** Could not be deleted; each with the reason, and the error itself. */
  failed: { set: ZoneRecordSet; error: string; cause: unknown }[];
}

export interface ExactDeleteOptions {
  /** Says who changed the zone and why (the change batch's comment). */
  readonly comment: string;
  /** Sends each request (the caller's counting, retrying wrapper); default: once, as is. */
  readonly call?: Route53Call;
  /** At most this many sets per request; default: as many as Route53's limits allow. */
  readonly perBatch?: number;
  /**
   * Settles a rejected batch: the sets that no longer match (named by the rejection; when it names none, the
   * batch is halved until they are alone) are read again, and each still there is deleted as it is now when
   * `stillDelete(current, original)` says so; the rest of the batch is sent again without them. Without it, a
   * rejected batch is sent no more and its sets are reported in `failed`, for callers that find what is there
   * their own way (the registrar reads its task's names; the cleanup lists the zone again).
   */
  readonly stillDelete?: (current: ZoneRecordSet, original: ZoneRecordSet) => boolean;
  /**
   * Any other error (throttling that outlasted every retry, a server error) is reported per set in `failed`
   * and the next batch goes on; default: it is thrown.
   */
  readonly reportFailures?: boolean;
}

/** Deletes the sets exactly as given, batch after batch; see {@link ExactDeleteOptions} for a rejection. */
export async function deleteExactly(
  client: Route53Client,
  zoneId: string,
  deletes: readonly ExactDelete[],
  options: ExactDeleteOptions,
): Promise<DeleteOutcome> {
  const outcome: DeleteOutcome = { deleted: [], vanished: [], keptAfterChange: [], failed: [] };
  const call = options.call ?? sendOnce;
  const { stillDelete } = options;
  const send = (batch: readonly ExactDelete[]) =>
    changeRecordSets(client, zoneId, batch.flatMap(changesOf), options.comment, call);
  const fail = (sets: readonly ExactDelete[], err: unknown) => {
    for (const { set } of sets) outcome.failed.push({ set, error: errorText(err), cause: err });
  };

  // A set named by a rejection: read it again and delete what is there now, once.
  const retryAlone = async (original: ExactDelete, judge: NonNullable<typeof stillDelete>): Promise<void> => {
    const current = await readRecordSet(client, zoneId, original.set, call);
    if (!current) {
      outcome.vanished.push(original.set);
      return;
    }
    if (!judge(current, original.set)) {
      outcome.keptAfterChange.push(current);
      return;
    }
    try {
      await send([{ ...original, set: current }]);
      outcome.deleted.push(current);
    } catch (err) {
      if (!isRejectedBatch(err)) throw err;
      fail([original], err);
    }
  };

  const deleteBatch = async (batch: readonly ExactDelete[]): Promise<void> => {
    try {
      await send(batch);
      outcome.deleted.push(...batch.map((d) => d.set));
      return;
    } catch (err) {
      if (!isRejectedBatch(err)) throw err;
      if (!stillDelete) return fail(batch, err);
      const named = namedSets(err, batch);
      if (named.size > 0) {
        for (const d of batch) if (named.has(d)) await retryAlone(d, stillDelete);
        const rest = batch.filter((d) => !named.has(d));
        if (rest.length > 0) await deleteBatch(rest);
      } else if (batch.length === 1) {
        await retryAlone(batch[0] as ExactDelete, stillDelete);
      } else {
        const half = Math.ceil(batch.length / 2);
        await deleteBatch(batch.slice(0, half));
        await deleteBatch(batch.slice(half));
      }
    }
  };

  for (const batch of exactDeleteBatches(deletes, options.perBatch)) {
    try {
      await deleteBatch(batch);
    } catch (err) {
      if (!options.reportFailures) throw err;
      // Sets settled before the failure (a re-read copy counts for its original) are not failures.
      const settled = new Set(
        [...outcome.deleted, ...outcome.vanished, ...outcome.keptAfterChange].map(recordSetKey),
      );
      fail(
        batch.filter((d) => !settled.has(recordSetKey(d.set))),
        err,
      );
    }
  }
  return outcome;
}

/** Cuts the deletes, in order, into requests within Route53's limits and at most `perBatch` sets each. */
export function exactDeleteBatches<D extends ExactDelete>(deletes: readonly D[], perBatch?: number): D[][] {
  return [...unitBatches(deletes, changesOf, perBatch)];
}

function changesOf(d: ExactDelete): ZoneChange[] {
  return [{ action: "DELETE", recordSet: d.set }];
}

/** Reads one record set afresh (one request); undefined when it no longer exists. */
export async function readRecordSet(
  client: Route53Client,
  zoneId: string,
  set: ZoneRecordSet,
  call: Route53Call = sendOnce,
): Promise<ZoneRecordSet | undefined> {
  const key = recordSetKey(set);
  const start = {
    name: set.Name,
    type: set.Type,
    ...(set.SetIdentifier !== "" && { identifier: set.SetIdentifier }),
  };
  // Searching the page (not taking its first set) also copes with servers that ignore StartRecordIdentifier.
  for await (const rs of recordSetPages(client, zoneId, { start, call, maxPages: 1 })) {
    if (recordSetKey(rs) === key) return rs;
  }
  return undefined;
}

/** The deletes of `batch` whose sets a rejection names. */
function namedSets(err: unknown, batch: readonly ExactDelete[]): Set<ExactDelete> {
  const byKey = new Map(batch.map((d) => [recordSetKey(d.set), d]));
  const named = new Set<ExactDelete>();
  for (const ref of rejectedRecordSets(err)) {
    const d = byKey.get(recordSetKey(ref));
    if (d) named.add(d);
  }
  return named;
}

/** An error as a log line's `error` field: `Name: message`. */
export function errorText(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? "Error"}: ${e?.message ?? String(err)}`;
}
