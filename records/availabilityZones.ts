// The AZ record: a TXT set beside a host's or an awsvpc task's A set that says which availability zone it runs
// in, as an AZ ID (use1-az4: the same zone in every account, where the name us-east-1a is not). It is the A
// set's twin: same name, SetIdentifier, routing and TTL, written and deleted with it. So it costs one record set
// per host or task, never one per instance; a client that asks only for SRV and A never sees it, and one that
// wants same-AZ-first reads it at the name every SRV target already is. The resolver reads exactly this value.
import { AZ_ID_PATTERN } from "../resolver/src/availabilityZone";
import { type Problem, problem } from "./problems";
import type { RecordSet, ZoneRecordSet } from "./recordSets";
import { parseSetIdentifier } from "./setIdentifier";

/** The one value of an AZ set, between its quotes: `az-id=<AZ ID>`. */
const AZ_VALUE = /^"az-id=([^"\\]{1,64})"$/;

/** Why `azId` is not an AZ ID (`use1-az4`: a region code, `-az` and a number), or undefined when it is one. */
export function availabilityZoneIdProblem(azId: string): Problem | undefined {
  if (AZ_ID_PATTERN.test(azId)) return undefined;
  return problem(
    "invalid-az-id",
    azId.slice(0, 64),
    `"${azId.slice(0, 64)}" is not an AZ ID such as use1-az4 (a region code, "-az" and a number; not an AZ name such as us-east-1a)`,
  );
}

/** True when a parsed identity is a host's or a task's: the identities whose A set may have an AZ set. */
function hasAddressIdentity(setIdentifier: string | undefined): boolean {
  const kind = parseSetIdentifier(setIdentifier)?.kind;
  return kind === "host" || kind === "task";
}

/**
 * The AZ set of a host or task whose A set is `address` (hostRecordSet's or taskAddressRecordSet's): TXT, one
 * value `"az-id=<azId>"`, with the A set's name, SetIdentifier, TTL and routing. Problems: an AZ ID that is
 * not one, or a set that is not a host's or a task's A set.
 */
export function availabilityZoneRecordSet(
  address: RecordSet,
  azId: string,
): { recordSet: RecordSet<"TXT"> } | { problems: Problem[] } {
  const azProblem = availabilityZoneIdProblem(azId);
  if (azProblem) return { problems: [azProblem] };
  if (address.Type !== "A" || !hasAddressIdentity(address.SetIdentifier)) {
    return {
      problems: [
        problem(
          "invalid-az-id",
          address.SetIdentifier,
          `an AZ set goes beside a host's or a task's A set, not a ${address.Type} set with SetIdentifier "${address.SetIdentifier}"`,
        ),
      ],
    };
  }
  return {
    recordSet: {
      Name: address.Name,
      Type: "TXT",
      TTL: address.TTL,
      SetIdentifier: address.SetIdentifier,
      ...(address.MultiValueAnswer !== undefined && { MultiValueAnswer: address.MultiValueAnswer }),
      ...(address.Weight !== undefined && { Weight: address.Weight }),
      ResourceRecords: [{ Value: `"az-id=${azId}"` }],
    },
  };
}

/**
 * The AZ ID an AZ set holds: a TXT set with values (not an alias) whose SetIdentifier is a host's or a task's
 * and whose one value is `"az-id=<AZ ID>"`. Undefined for anything else, however close.
 */
export function azIdOf(rs: ZoneRecordSet): string | undefined {
  if (rs.Type !== "TXT" || rs.AliasTarget !== undefined || rs.ResourceRecords.length !== 1) return undefined;
  if (!hasAddressIdentity(rs.SetIdentifier)) return undefined;
  const azId = AZ_VALUE.exec((rs.ResourceRecords[0]?.Value ?? "").trim())?.[1];
  return azId !== undefined && AZ_ID_PATTERN.test(azId) ? azId : undefined;
}
