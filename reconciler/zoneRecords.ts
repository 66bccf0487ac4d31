// The zone through Route53's API: find the hosted zone, read every record set (all pages), and delete
// record sets in batches that respect Route53's request limits. Route53 applies a batch all or nothing, so
// one set that changed since it was read fails the batch: that set is re-read and retried alone.
import {
  ChangeResourceRecordSetsCommand,
  ListHostedZonesByNameCommand,
  type ListHostedZonesByNameCommandOutput,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
} from "@aws-sdk/client-route-53";
import { canonicalName, recordSetKey } from "../records";
import type { ApiCalls } from "./apiCalls";
import { ZoneNotFoundError, ZoneRecordsError } from "./errors";

/** Route53 returns at most 300 record sets per ListResourceRecordSets page. */
export const ROUTE53_PAGE_SIZE = 300;
/** Route53's limits on one ChangeResourceRecordSets request. */
export const CHANGE_BATCH_LIMITS = {
  changes: 1_000,
  resourceRecords: 1_000,
  valueCharacters: 32_000,
} as const;

/** Finds the private hosted zone of that name. Fails when there is none, or several (then name its id). */
export async function findPrivateZoneId(
  route53: Route53Client,
  zoneName: string,
  calls: ApiCalls,
): Promise<string> {
  const wanted = canonicalName(zoneName);
  const found: string[] = [];
  let dnsName: string | undefined = wanted;
  let hostedZoneId: string | undefined;
  // Zones come sorted by name from where we start; stop at the first page that moves past ours.
  for (let pages = 0; dnsName !== undefined && pages < 100; pages++) {
    const name: string = dnsName;
    const id: string | undefined = hostedZoneId;
    const page: ListHostedZonesByNameCommandOutput = await calls.call("ListHostedZonesByName", () =>
      route53.send(new ListHostedZonesByNameCommand({ DNSName: name, HostedZoneId: id, MaxItems: 100 })),
    );
    let passed = false;
    for (const z of page.HostedZones ?? []) {
      if (canonicalName(z.Name ?? "") !== wanted) {
        passed = true;
        break;
      }
      if (z.Config?.PrivateZone && z.Id) found.push(z.Id.replace(/^\/?hostedzone\//, ""));
    }
    if (passed || !page.IsTruncated) break;
    dnsName = page.NextDNSName;
    hostedZoneId = page.NextHostedZoneId;
  }
  if (found.length === 0) {
    throw new ZoneNotFoundError(`no private hosted zone named "${wanted}"; create it or set ECSSD_ZONE_ID`);
  }
  if (found.length > 1) {
    throw new ZoneNotFoundError(
      `${found.length} private hosted zones are named "${wanted}" (${found.join(", ")}); set ECSSD_ZONE_ID to choose one`,
    );
  }
  return found[0] as string;
}

/** Reads every record set of the zone, page after page. */
export async function listRecordSets(
  route53: Route53Client,
  zoneId: string,
  calls: ApiCalls,
): Promise<ResourceRecordSet[]> {
  const out: ResourceRecordSet[] = [];
  let start: { name?: string; type?: string; identifier?: string } = {};
  // Bounded by progress: each page must move the start key on, or the loop stops with an error.
  for (;;) {
    const s = start;
    const page = await calls.call("ListResourceRecordSets", () =>
      route53.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          MaxItems: ROUTE53_PAGE_SIZE,
          StartRecordName: s.name,
          StartRecordType: s.type as never,
          StartRecordIdentifier: s.identifier,
        }),
      ),
    );
    out.push(...(page.ResourceRecordSets ?? []));
    if (!page.IsTruncated) return out;
    const next = {
      name: page.NextRecordName,
      type: page.NextRecordType,
      identifier: page.NextRecordIdentifier,
    };
    if (!next.name || (next.name === s.name && next.type === s.type && next.identifier === s.identifier)) {
      throw new ZoneRecordsError(
        `ListResourceRecordSets of zone ${zoneId} said there is more but gave no new place to continue from`,
      );
    }
    start = next;
  }
}

/** Reads one record set afresh; undefined when it no longer exists. */
export async function readRecordSet(
  route53: Route53Client,
  zoneId: string,
  set: ResourceRecordSet,
  calls: ApiCalls,
): Promise<ResourceRecordSet | undefined> {
  const key = recordSetKey(set);
  const page = await calls.call("ListResourceRecordSets", () =>
    route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        StartRecordName: set.Name,
        StartRecordType: set.Type,
        StartRecordIdentifier: set.SetIdentifier,
        MaxItems: ROUTE53_PAGE_SIZE,
      }),
    ),
  );
  // Searching the page (not taking its first set) also copes with servers that ignore StartRecordIdentifier.
  return (page.ResourceRecordSets ?? []).find((rs) => recordSetKey(rs) === key);
}

/** Splits deletions into requests within Route53's limits on changes, records and value characters. */
export function changeBatches(sets: readonly ResourceRecordSet[]): ResourceRecordSet[][] {
  const batches: ResourceRecordSet[][] = [];
  let batch: ResourceRecordSet[] = [];
  let records = 0;
  let chars = 0;
  for (const set of sets) {
    const values = set.ResourceRecords ?? [];
    const setChars = values.reduce((n, r) => n + (r.Value ?? "").length, 0);
    if (
      batch.length > 0 &&
      (batch.length + 1 > CHANGE_BATCH_LIMITS.changes ||
        records + values.length > CHANGE_BATCH_LIMITS.resourceRecords ||
        chars + setChars > CHANGE_BATCH_LIMITS.valueCharacters)
    ) {
      batches.push(batch);
      batch = [];
      records = 0;
      chars = 0;
    }
    batch.push(set);
    records += values.length;
    chars += setChars;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** What became of each record set we asked to delete. */
export interface DeleteOutcome {
  /** Deleted, as read or as re-read after it changed. */
  deleted: ResourceRecordSet[];
  /** Gone before we got to it (someone else deleted it): nothing to do. */
  vanished: ResourceRecordSet[];
  /** Changed meanwhile in a way that no longer warrants deleting it, per `stillDelete`. */
  keptAfterChange: ResourceRecordSet[];
  /** Could not be deleted; each with the reason. */
  failed: { set: ResourceRecordSet; error: string }[];
}

export interface DeleteOptions {
  /**
   * Decides whether a set that changed since it was read should still go (default: yes). The
   * SetIdentifier is unchanged, so whatever ownership says about it still holds.
   */
  stillDelete?: (current: ResourceRecordSet, original: ResourceRecordSet) => boolean;
}

/**
 * Deletes record sets exactly as they were read, in as few requests as the limits allow. A batch rejected
 * because some sets changed or vanished meanwhile is retried without them, and each of them is re-read
 * and retried alone; when the error does not say which sets, the batch is halved until it does.
 */
export async function deleteRecordSets(
  route53: Route53Client,
  zoneId: string,
  sets: readonly ResourceRecordSet[],
  calls: ApiCalls,
  options: DeleteOptions = {},
): Promise<DeleteOutcome> {
  const outcome: DeleteOutcome = { deleted: [], vanished: [], keptAfterChange: [], failed: [] };
  const stillDelete = options.stillDelete ?? (() => true);

  const send = (batch: readonly ResourceRecordSet[]) =>
    calls.call("ChangeResourceRecordSets", () =>
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: {
            Comment:
              "ecssd reconciler: remove records whose task, container or host is gone, or that fail health checks",
            Changes: batch.map((set) => ({ Action: "DELETE", ResourceRecordSet: set })),
          },
        }),
      ),
    );

  // The one set named by a rejection: read it again and delete what is there now, once.
  const retryAlone = async (original: ResourceRecordSet): Promise<void> => {
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
      if (!isInvalidChangeBatch(err)) throw err;
      outcome.failed.push({ set: original, error: errorText(err) });
    }
  };

  const deleteBatch = async (batch: ResourceRecordSet[]): Promise<void> => {
    try {
      await send(batch);
      outcome.deleted.push(...batch);
      return;
    } catch (err) {
      if (!isInvalidChangeBatch(err)) throw err;
      const named = namedSets(err, batch);
      if (named.size > 0) {
        for (const set of batch) if (named.has(set)) await retryAlone(set);
        const rest = batch.filter((s) => !named.has(s));
        if (rest.length > 0) await deleteBatch(rest);
      } else if (batch.length === 1) {
        await retryAlone(batch[0] as ResourceRecordSet);
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

function isInvalidChangeBatch(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  // InvalidInput is what Route53 answers when a DELETE names a set that does not match; treat it alike.
  return name === "InvalidChangeBatch" || name === "InvalidInput";
}

/** Record sets of `batch` that a rejection names, e.g. `[name='a.zone.', type='SRV', set-identifier='x']`. */
function namedSets(err: unknown, batch: readonly ResourceRecordSet[]): Set<ResourceRecordSet> {
  const e = err as { message?: string; messages?: string[] };
  const text = [e.message ?? "", ...(e.messages ?? [])].join("\n");
  const byKey = new Map(batch.map((s) => [recordSetKey(s), s]));
  const named = new Set<ResourceRecordSet>();
  const re = /name='([^']*)',\s*type='([^']*)'(?:,\s*set-identifier='([^']*)')?/g;
  for (const m of text.matchAll(re)) {
    const set = byKey.get(recordSetKey({ Name: m[1], Type: m[2], SetIdentifier: m[3] }));
    if (set) named.add(set);
  }
  return named;
}

function errorText(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? "Error"}: ${e?.message ?? String(err)}`;
}
