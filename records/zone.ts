// Zone and host naming: the one place that decides what a valid zone name and host id look like.
import { type Problem, problem } from "./problems";

export const DEFAULT_ZONE = "servicediscovery.internal";
/** TTL of instance (SRV) records: short, so that a stop leaves caches quickly. */
export const DEFAULT_SRV_TTL = 10;
/** TTL of host (A) records: hosts change far less often than containers. */
export const HOST_TTL = 60;

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Host ids are one DNS label; 53 characters keeps every SetIdentifier within Route53's 128 (see setIdentifier.ts). */
export const MAX_HOST_ID_LENGTH = 53;

/** Lower-cases a zone name and drops a trailing dot; returns a problem when it is not a DNS name. */
export function normalizeZone(zone: string): { zone: string } | { problem: Problem } {
  const z = zone.trim().toLowerCase().replace(/\.$/, "");
  const labels = z.split(".");
  if (z.length === 0 || z.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l))) {
    return {
      problem: problem(
        "invalid-zone",
        zone,
        `zone "${zone}" is not a DNS name of two or more labels of a-z, 0-9 and "-"`,
      ),
    };
  }
  return { zone: z };
}

/** Checks a host id (EC2 instance id, or a configured name in the local stack). */
export function checkHostId(hostId: string): Problem | undefined {
  if (hostId.length > MAX_HOST_ID_LENGTH || !LABEL.test(hostId)) {
    return problem(
      "invalid-host-id",
      hostId,
      `host id "${hostId}" must be one DNS label of at most ${MAX_HOST_ID_LENGTH} characters: lower-case a-z, 0-9 and "-", not starting or ending with "-"`,
    );
  }
  return undefined;
}

/** `<hostId>.<zone>`, the name of a host's A record and the target of its SRV records. */
export function hostRecordName(hostId: string, zone: string): string {
  return `${hostId}.${zone}`;
}

/** Lower-cases a DNS name and removes the trailing dot, for comparing names from any source. */
export function canonicalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}
