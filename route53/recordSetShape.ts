// Route53's ResourceRecordSet ↔ the record model of records/: names canonical (Route53's `\ooo` octal
// escapes decoded, lower case, no trailing dot), and back exactly as read, so a DELETE matches.
import type { ResourceRecordSet } from "@aws-sdk/client-route-53";
import { canonicalName, type ZoneRecordSet } from "../records";

/** Route53 returns some characters of names as `\ooo` octal escapes (`*` as `\052`). */
export function decodeRoute53Name(name: string): string {
  return name.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

/** A set as Route53 returns it → ours; undefined only for a set without a name or type. */
export function fromRoute53(raw: ResourceRecordSet): ZoneRecordSet | undefined {
  if (!raw.Name || !raw.Type) return undefined;
  const rs: ZoneRecordSet = {
    Name: canonicalName(decodeRoute53Name(raw.Name)),
    Type: raw.Type,
    TTL: raw.TTL ?? 0,
    SetIdentifier: raw.SetIdentifier ?? "",
    ResourceRecords: (raw.ResourceRecords ?? []).map((r) => ({ Value: r.Value ?? "" })),
  };
  if (raw.MultiValueAnswer !== undefined) rs.MultiValueAnswer = raw.MultiValueAnswer;
  if (raw.Weight !== undefined) rs.Weight = raw.Weight;
  if (raw.HealthCheckId !== undefined) rs.HealthCheckId = raw.HealthCheckId;
  if (raw.AliasTarget?.DNSName && raw.AliasTarget.HostedZoneId) {
    rs.AliasTarget = {
      HostedZoneId: raw.AliasTarget.HostedZoneId,
      DNSName: raw.AliasTarget.DNSName,
      EvaluateTargetHealth: raw.AliasTarget.EvaluateTargetHealth ?? false,
    };
  }
  return rs;
}

/** Ours → the request's shape: an alias has neither TTL nor values, and "" means no SetIdentifier. */
export function toRoute53(rs: ZoneRecordSet): ResourceRecordSet {
  const out: ResourceRecordSet = { Name: rs.Name, Type: rs.Type };
  if (rs.SetIdentifier !== "") out.SetIdentifier = rs.SetIdentifier;
  if (rs.MultiValueAnswer !== undefined) out.MultiValueAnswer = rs.MultiValueAnswer;
  if (rs.Weight !== undefined) out.Weight = rs.Weight;
  if (rs.HealthCheckId !== undefined) out.HealthCheckId = rs.HealthCheckId;
  if (rs.AliasTarget) {
    out.AliasTarget = { ...rs.AliasTarget };
  } else {
    out.TTL = rs.TTL;
    out.ResourceRecords = rs.ResourceRecords.map((r) => ({ Value: r.Value }));
  }
  return out;
}
