// The reconciler's zone access, over the Route53 edge (route53/): find the hosted zone, read every record
// set (all pages), and delete record sets in batches within Route53's request limits. Route53 applies a
// batch all or nothing, so one set that changed since it was read fails the batch: that set is re-read and
// retried alone. Every request goes through ApiCalls (counted, retried).
import type { Route53Client } from "@aws-sdk/client-route-53";
import { recordSetKey, type ZoneRecordSet } from "../records";
import {
  CHANGE_BATCH_LIMITS,
  changeRecordSets,
  findPrivateZoneId as findZone,
  isRejectedBatch,
  listZoneRecordSets,
  ROUTE53_PAGE_SIZE,
  type Route53Call,
  recordSetPages,
  rejectedRecordSets,
  splitIntoBatches,
} from "../route53";
import type { ApiCalls } from "./apiCalls";

export { CHANGE_BATCH_LIMITS, ROUTE53_PAGE_SIZE };

const DELETE_COMMENT =
  "ecssd reconciler: remove records whose task, container or host is gone, or that fail health checks";

function through(calls: ApiCalls): Route53Call {
  return (operation, send) => calls.call(operation, send);
}

/** Finds the private hosted zone of that name. Fails when there is none, or several (then name its id). */
export function findPrivateZoneId(
  route53: Route53Client,
  zoneName: string,
  calls: ApiCalls,
): Promise<string> {
  return findZone(route53, zoneName, through(calls));
}

/**
 * Reads every record set of the zone, page after page: ours and everyone else's, of every type (SOA, NS,
 * TXT, aliases...), so the run can count what it saw.
 */
export function listRecordSets(
  route53: Route53Client,
  zoneId: string,
  calls: ApiCalls,
): Promise<ZoneRecordSet[]> {
  return listZoneRecordSets(route53, zoneId, { call: through(calls) });
}

/** Reads one record set afresh (one request); undefined when it no longer exists. */
export async function readRecordSet(
  route53: Route53Client,
  zoneId: string,
  set: ZoneRecordSet,
  calls: ApiCalls,
): Promise<ZoneRecordSet | undefined> {
  const key = recordSetKey(set);
  const start = {
    name: set.Name,
    type: set.Type,
    ...(set.SetIdentifier !== "" && { identifier: set.SetIdentifier }),
  };
  // Searching the page (not taking its first set) also copes with servers that ignore StartRecordIdentifier.
  for await (const rs of recordSetPages(route53, zoneId, { start, call: through(calls), maxPages: 1 })) {
    if (recordSetKey(rs) === key) return rs;
  }
  return undefined;
}

/** Splits deletions into requests within Route53's limits on changes, records and value characters. */
export function changeBatches<S extends ZoneRecordSet>(sets: readonly S[]): S[][] {
  return splitIntoBatches(sets.map((recordSet) => ({ action: "DELETE" as const, recordSet }))).map((batch) =>
    batch.map((c) => c.recordSet),
  );
}

/** What became of each record set we asked to delete. */
export interface DeleteOutcome {
  /** Deleted, as read or as re-read after it changed. */
  deleted: ZoneRecordSet[];
  /** Gone before we got to it (someone else deleted it): nothing to do. */
  vanished: ZoneRecordSet[];
  /** Changed meanwhile in a way that no longer warrants deleting it, per `stillDelete`. */
  keptAfterChange: ZoneRecordSet[];
  /** Could not be deleted; each with the reason. */
  failed: { set: ZoneRecordSet; error: string }[];
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
 * and retried alone; when the error does not say which sets, the batch is halved until it does.
 */
export async function deleteRecordSets(
  route53: Route53Client,
  zoneId: string,
  sets: readonly ZoneRecordSet[],
  calls: ApiCalls,
  options: DeleteOptions = {},
): Promise<DeleteOutcome> {
  const outcome: DeleteOutcome = { deleted: [], vanished: [], keptAfterChange: [], failed: [] };
  const stillDelete = options.stillDelete ?? (() => true);

  const send = (batch: readonly ZoneRecordSet[]) =>
    changeRecordSets(
      route53,
      zoneId,
      batch.map((recordSet) => ({ action: "DELETE" as const, recordSet })),
      DELETE_COMMENT,
      through(calls),
    );

  // The one set named by a rejection: read it again and delete what is there now, once.
  const retryAlone = async (original: ZoneRecordSet): Promise<void> => {
    const current = await readRecordSet(route53, zoneId, original, calls);
    if (!current) {
      outcome.vanished.push(original);
      return;
    }
    if (!stillDelete(current, original)) {
      outcome.keptAfterChange.push(current);
      return;
    }
    try {
      await send([current]);
      outcome.deleted.push(current);
    } catch (err) {
      if (!isRejectedBatch(err)) throw err;
      outcome.failed.push({ set: original, error: errorText(err) });
    }
  };

  const deleteBatch = async (batch: ZoneRecordSet[]): Promise<void> => {
    try {
      await send(batch);
      outcome.deleted.push(...batch);
      return;
    } catch (err) {
      if (!isRejectedBatch(err)) throw err;
      const named = namedSets(err, batch);
      if (named.size > 0) {
        for (const set of batch) if (named.has(set)) await retryAlone(set);
        const rest = batch.filter((s) => !named.has(s));
        if (rest.length > 0) await deleteBatch(rest);
      } else if (batch.length === 1) {
        await retryAlone(batch[0] as ZoneRecordSet);
      } else {
        const half = Math.ceil(batch.length / 2);
        await deleteBatch(batch.slice(0, half));
        await deleteBatch(batch.slice(half));
      }
    }
  };

  for (const batch of changeBatches(sets)) {
    try {
      await deleteBatch(batch);
    } catch (err) {
      // Throttling that outlasted every retry, or a server error: report these sets, keep going with the rest.
      // Sets settled before the failure (a re-read copy counts for its original) are not failures.
      const settled = new Set(
        [...outcome.deleted, ...outcome.vanished, ...outcome.keptAfterChange].map(recordSetKey),
      );
      for (const set of batch) {
        if (!settled.has(recordSetKey(set))) outcome.failed.push({ set, error: errorText(err) });
      }
    }
  }
  return outcome;
}

/** Record sets of `batch` that a rejection names. */
function namedSets(err: unknown, batch: readonly ZoneRecordSet[]): Set<ZoneRecordSet> {
  const byKey = new Map(batch.map((s) => [recordSetKey(s), s]));
  const named = new Set<ZoneRecordSet>();
  for (const ref of rejectedRecordSets(err)) {
    const set = byKey.get(recordSetKey(ref));
    if (set) named.add(set);
  }
  return named;
}

function errorText(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? "Error"}: ${e?.message ?? String(err)}`;
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
 * A rejected batch is retried pair by pair; a pair rejected alone is re-read like a plain delete
 * (see {@link deleteRecordSets}). The outcome speaks of the instances' SRV sets.
 */
export async function replaceWithVerdicts(
  route53: Route53Client,
  zoneId: string,
  changes: readonly VerdictChange[],
  calls: ApiCalls,
  options: DeleteOptions = {},
): Promise<DeleteOutcome> {
  const outcome: DeleteOutcome = { deleted: [], vanished: [], keptAfterChange: [], failed: [] };
  const stillDelete = options.stillDelete ?? (() => true);
  const send = (pairs: readonly VerdictChange[]) =>
    changeRecordSets(
      route53,
      zoneId,
      pairs.flatMap((p) => [
        { action: "DELETE" as const, recordSet: p.set },
        { action: "UPSERT" as const, recordSet: p.marker },
      ]),
      VERDICT_COMMENT,
      through(calls),
    );
  const alone = async (pair: VerdictChange): Promise<void> => {
    try {
      await send([pair]);
      outcome.deleted.push(pair.set);
      return;
    } catch (err) {
      if (!isRejectedBatch(err)) throw err;
    }
    const current = await readRecordSet(route53, zoneId, pair.set, calls);
    if (!current) {
      // Gone already (its container stopped): nothing to hold out, so no verdict either.
      outcome.vanished.push(pair.set);
      return;
    }
    if (!stillDelete(current, pair.set)) {
      outcome.keptAfterChange.push(current);
      return;
    }
    try {
      await send([{ set: current, marker: pair.marker }]);
      outcome.deleted.push(current);
    } catch (err) {
      if (!isRejectedBatch(err)) throw err;
      outcome.failed.push({ set: pair.set, error: errorText(err) });
    }
  };
  for (let i = 0; i < changes.length; i += VERDICT_PAIRS_PER_BATCH) {
    const chunk = changes.slice(i, i + VERDICT_PAIRS_PER_BATCH);
    try {
      try {
        await send(chunk);
        outcome.deleted.push(...chunk.map((p) => p.set));
      } catch (err) {
        if (!isRejectedBatch(err)) throw err;
        for (const pair of chunk) await alone(pair);
      }
    } catch (err) {
      const settled = new Set(
        [...outcome.deleted, ...outcome.vanished, ...outcome.keptAfterChange].map(recordSetKey),
      );
      for (const { set } of chunk) {
        if (!settled.has(recordSetKey(set))) outcome.failed.push({ set, error: errorText(err) });
      }
    }
  }
  return outcome;
}
