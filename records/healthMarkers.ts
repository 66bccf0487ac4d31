// Health markers: TXT record sets that sit beside an instance's SRV set (same name, same SetIdentifier)
// and say who owns its health verdict, in the zone itself so it survives any restart and any operator can
// read it with ListResourceRecordSets:
//  - the agent writes `"ecssd1 check=agent kind=http"` with an instance whose port declares a check: the
//    reconciler leaves that instance's health to the agent;
//  - the reconciler writes `"ecssd1 verdict=unhealthy port=<hostPort> since=<ISO time>" "<detail>"` just
//    before it deletes an instance that failed its checks (in a request of its own: its role may UPSERT
//    nothing else): the agent does not write that instance back while the marker is there, and the
//    reconciler deletes the marker once the instance passes again (or is gone).
// The two never meet on one instance: the reconciler only judges instances without an agent check.
import type { RecordSet, ZoneRecordSet } from "./recordSets";
import { parseSetIdentifier } from "./setIdentifier";
import { canonicalName, HOST_TTL } from "./zone";

export type HealthMarker =
  | { readonly kind: "agent-check"; readonly check: "http" | "tcp" }
  | {
      readonly kind: "verdict";
      /** The host port the failing check used: with the host record it says where to check again. */
      readonly port: number;
      /** When the reconciler took the instance out, ISO 8601. */
      readonly since: string;
      /** What the failing check saw: `HTTP 500`, `timed out after 2000 ms`, `ECONNREFUSED`. */
      readonly detail: string;
    };

const PREFIX = "ecssd1";
const AGENT_CHECK = /^"ecssd1 check=agent kind=(http|tcp)"$/;
const VERDICT =
  /^"ecssd1 verdict=unhealthy port=([1-9][0-9]{0,4}) since=([0-9TZ:.-]{1,40})"(?: "([^"\\]*)")?$/;
const MAX_DETAIL = 200;

/** The instance a marker belongs to, and an instance's own key for finding its marker: name and SetIdentifier. */
export function instanceKey(rs: { Name: string; SetIdentifier: string }): string {
  return `${canonicalName(rs.Name)}|${rs.SetIdentifier}`;
}

/**
 * A marker beside `instance` (its SRV set). Markers always use multivalue routing, whatever the SRV sets
 * use: Route53 requires every set of one name and type to share a routing policy, and the agent and the
 * reconciler both write TXT sets at that name.
 */
function markerSet(instance: RecordSet, values: string[]): RecordSet<"TXT"> {
  return {
    Name: canonicalName(instance.Name),
    Type: "TXT",
    TTL: HOST_TTL,
    SetIdentifier: instance.SetIdentifier,
    MultiValueAnswer: true,
    ResourceRecords: [{ Value: values.map((v) => `"${v}"`).join(" ") }],
  };
}

/** The agent's marker: this instance's port declares a check, so its health verdict is the agent's. */
export function agentCheckMarker(instance: RecordSet, check: "http" | "tcp"): RecordSet<"TXT"> {
  return markerSet(instance, [`${PREFIX} check=agent kind=${check}`]);
}

/** The reconciler's verdict, written just before the deletion of `instance` (its SRV set, as read). */
export function verdictMarker(
  instance: RecordSet,
  verdict: { port: number; since: Date; detail: string },
): RecordSet<"TXT"> {
  // A TXT character-string is at most 255 octets, and the value is quoted: printable ASCII without quotes.
  const detail = verdict.detail.replace(/[^\x20-\x7e]|["\\]/g, "?").slice(0, MAX_DETAIL);
  return markerSet(instance, [
    `${PREFIX} verdict=unhealthy port=${verdict.port} since=${verdict.since.toISOString()}`,
    detail,
  ]);
}

/** Reads a marker back; undefined for anything that is not a TXT set of ours with a marker value. */
export function parseHealthMarker(rs: ZoneRecordSet): HealthMarker | undefined {
  if (rs.Type !== "TXT" || rs.AliasTarget !== undefined || rs.ResourceRecords.length !== 1) return undefined;
  if (parseSetIdentifier(rs.SetIdentifier)?.kind !== "instance") return undefined;
  const value = (rs.ResourceRecords[0]?.Value ?? "").trim();
  const check = AGENT_CHECK.exec(value);
  if (check) return { kind: "agent-check", check: check[1] as "http" | "tcp" };
  const v = VERDICT.exec(value);
  if (!v || Number(v[1]) > 65535) return undefined;
  return { kind: "verdict", port: Number(v[1]), since: v[2] as string, detail: v[3] ?? "" };
}
