// The zone's record sets, page after page (ListResourceRecordSets), as record sets of records/.
import { ListResourceRecordSetsCommand, type Route53Client } from "@aws-sdk/client-route-53";
import type { ZoneRecordSet, ZoneRecordType } from "../records";
import { type Route53Call, sendOnce } from "./call";
import { ZoneRecordsError } from "./errors";
import { fromRoute53 } from "./recordSetShape";

/** Route53 returns at most 300 record sets per ListResourceRecordSets page. */
export const ROUTE53_PAGE_SIZE = 300;

/** A place in the zone, in Route53's order: name, then type, then SetIdentifier. */
export interface ZonePosition {
  name: string;
  type?: ZoneRecordType;
  identifier?: string;
}

export interface RecordSetPagesOptions {
  /** Where to start; default: the zone's first record set. */
  start?: ZonePosition;
  /** Sends each request (the caller's counting, retrying wrapper); default: once, as is. */
  call?: Route53Call;
  /** Stop after this many pages, with no error; default: every page. */
  maxPages?: number;
}

/**
 * Every record set of the zone from `start`, in Route53's order; stop early by leaving the loop. Each page
 * must move the start on: a truncated page that gives no new place to continue from is an error, not an
 * endless loop.
 */
export async function* recordSetPages(
  client: Route53Client,
  zoneId: string,
  options: RecordSetPagesOptions = {},
): AsyncGenerator<ZoneRecordSet> {
  const call = options.call ?? sendOnce;
  let start: Partial<ZonePosition> = options.start ?? {};
  for (let pages = 1; ; pages++) {
    const s = start;
    const page = await call("ListResourceRecordSets", () =>
      client.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          MaxItems: ROUTE53_PAGE_SIZE,
          StartRecordName: s.name,
          StartRecordType: s.type,
          StartRecordIdentifier: s.identifier,
        }),
      ),
    );
    for (const raw of page.ResourceRecordSets ?? []) {
      const rs = fromRoute53(raw);
      if (rs) yield rs;
    }
    if (!page.IsTruncated || (options.maxPages !== undefined && pages >= options.maxPages)) return;
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

/** Every record set of the zone, all pages. */
export async function listZoneRecordSets(
  client: Route53Client,
  zoneId: string,
  options: Omit<RecordSetPagesOptions, "maxPages"> = {},
): Promise<ZoneRecordSet[]> {
  const out: ZoneRecordSet[] = [];
  for await (const rs of recordSetPages(client, zoneId, options)) out.push(rs);
  return out;
}
