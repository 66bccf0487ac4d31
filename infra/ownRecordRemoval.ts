// What `pulumi destroy` does to a zone it did not create: delete every record set this stack's writers made
// (the SetIdentifier names its deployment; unattributed `ecssd1` sets only when the stack claims them, and
// other deployments' sets never), through the Route53 edge (one client factory, the pager, its exact deletes, the retry policy), and nothing else.
// The entry point of the bundle that RecordCleanup's delete runs (recordCleanup.ts), so it imports only
// what esbuild can inline, and the AWS SDK, which it leaves external.
import {
  type DeploymentScope,
  isWrittenByUs,
  ownedBy,
  parseSetIdentifier,
  type ZoneRecordSet,
} from "../records";
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
  /** The stack's deployment mark (ECSSD_DEPLOYMENT). Unset: only unattributed sets are its own. */
  readonly deployment?: string;
  /** The stack also owns unattributed (`ecssd1`) sets (the reconciler's ECSSD_CLAIM_UNATTRIBUTED). */
  readonly claimUnattributed?: boolean;
}

/** What a removal did. */
export interface OwnRecordRemovalOutcome {
  readonly deleted: number;
  /** Sets in the zone that are not ours, left as they were. */
  readonly kept: number;
}

/** The pure decision: of a zone's record sets, the ones to delete: written by us, for this deployment. */
export function ownRecordSets(sets: readonly ZoneRecordSet[], scope: DeploymentScope = {}): ZoneRecordSet[] {
  return sets.filter((set) => isWrittenByUs(set) && ownedBy(parseSetIdentifier(set.SetIdentifier), scope));
}

const COMMENT = "ecssd: pulumi destroy removes the record sets its writers made";
/** A batch fails whole when one of its sets changed or went since it was read: read again, this often. */
const ROUNDS = 5;

/** Deletes every record set of the zone that this deployment's writers made, in batches within Route53's limits. */
export async function removeOwnRecordSets(target: OwnRecordRemovalTarget): Promise<OwnRecordRemovalOutcome> {
  const client = route53Client(target.endpoint !== undefined ? { endpoint: target.endpoint } : {});
  const zoneId = stripZoneId(target.zoneId);
  const call: Route53Call = (_operation, send) => withRetries(send, DEFAULT_RETRY_POLICY);
  const scope: DeploymentScope = {
    ...(target.deployment !== undefined && { deployment: target.deployment }),
    claimUnattributed: target.claimUnattributed === true,
  };
  let deleted = 0;
  try {
    for (let round = 1; ; round++) {
      const sets = await listZoneRecordSets(client, zoneId, { call });
      const ours = ownRecordSets(sets, scope);
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
