// What `pulumi destroy` does to a zone it did not create: delete every record set our writers made, through
// the Route53 edge (one client factory, the pager, its exact deletes, the retry policy), and nothing else.
// The entry point of the bundle that RecordCleanup's delete runs (recordCleanup.ts), so it imports only
// what esbuild can inline, and the AWS SDK, which it leaves external.
import { isWrittenByUs, type ZoneRecordSet } from "../records";
import {
  DEFAULT_RETRY_POLICY,
  deleteExactly,
  listZoneRecordSets,
  type Route53Call,
  route53Client,
  stripZoneId,
  withRetries,
} from "../route53";

/** Which zone to clean, and where its API is. */
export interface OwnRecordRemovalTarget {
  /** The hosted zone id, with or without the `/hostedzone/` prefix. */
  readonly zoneId: string;
  /** A Route53-compatible API instead of AWS (the local zone in tests). Default: AWS. */
  readonly endpoint?: string;
}

/** What a removal did. */
export interface OwnRecordRemovalOutcome {
  readonly deleted: number;
  /** Sets in the zone that are not ours, left as they were. */
  readonly kept: number;
}

/** The pure decision: of a zone's record sets, the ones to delete. */
export function ownRecordSets(sets: readonly ZoneRecordSet[]): ZoneRecordSet[] {
  return sets.filter(isWrittenByUs);
}

const COMMENT = "ecssd: pulumi destroy removes the record sets its writers made";
/** A batch fails whole when one of its sets changed or went since it was read: read again, this often. */
const ROUNDS = 5;

/** Deletes every record set of the zone that our writers made, in batches within Route53's limits. */
export async function removeOwnRecordSets(target: OwnRecordRemovalTarget): Promise<OwnRecordRemovalOutcome> {
  const client = route53Client(target.endpoint !== undefined ? { endpoint: target.endpoint } : {});
  const zoneId = stripZoneId(target.zoneId);
  const call: Route53Call = (_operation, send) => withRetries(send, DEFAULT_RETRY_POLICY);
  let deleted = 0;
  try {
    for (let round = 1; ; round++) {
      const sets = await listZoneRecordSets(client, zoneId, { call });
      const ours = ownRecordSets(sets);
      if (ours.length === 0) return { deleted, kept: sets.length };
      // A rejected batch is not settled set by set: the next round lists the zone again and finds what is
      // there now.
      const outcome = await deleteExactly(
        client,
        zoneId,
        ours.map((set) => ({ set })),
        { comment: COMMENT, call },
      );
      deleted += outcome.deleted.length;
      const rejected = outcome.failed.at(-1)?.cause;
      // Our writers are gone by now (they depend on the cleanup, so destroy removes them first); sets that
      // keep coming back mean one still runs somewhere, and destroy says so instead of looping.
      if (round >= ROUNDS) {
        throw (
          rejected ??
          new Error(`zone ${zoneId}: our record sets came back ${ROUNDS} times; is a writer still running?`)
        );
      }
    }
  } finally {
    client.destroy();
  }
}
