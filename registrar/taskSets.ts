// Which record sets of the zone are one task's, for the registrar: one rule for every TaskZone (Route53's and
// the coalescer's), so a stop removes the same sets whichever writer carries it.
import { isOwnType, ownedBy, parseSetIdentifier, type RecordSet, type ZoneRecordSet } from "../records";

/**
 * True for a set of a type we write whose SetIdentifier names `taskId` as its task, of `deployment`. The task is
 * this deployment's (its event came through this deployment's rule, for its cluster), so its unattributed sets,
 * written before deployments had names, are too: a stop removes them.
 */
export function isTaskSet(
  rs: ZoneRecordSet,
  taskId: string,
  deployment: string | undefined,
): rs is RecordSet {
  const owner = parseSetIdentifier(rs.SetIdentifier);
  return (
    (owner?.kind === "task" || owner?.kind === "task-instance") &&
    owner.taskId === taskId &&
    ownedBy(owner, { deployment, claimUnattributed: true }) &&
    isOwnType(rs)
  );
}
