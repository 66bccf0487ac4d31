// AZ names → AZ IDs, for the registrar's AZ sets: DescribeTasks names a task's AZ (us-east-1a), and the record
// carries its ID (use1-az4), the same zone in every account where a name is not. The mapping is the account's
// own: asked once per process of EC2 (DescribeAvailabilityZones), or given as ECSSD_AZ_IDS where a role may not
// ask. Either way a name it does not know is a problem to log, never a failed event: the AZ set is optional.
import { DescribeAvailabilityZonesCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { availabilityZoneIdProblem } from "../records";
import type { Route53Call } from "../route53/call";

/** The AZ ID of an AZ name, or why there is none (a phrase for the log line). */
export type AzIdLookup = { readonly azId: string } | { readonly problem: string };

export interface AvailabilityZoneIds {
  idOf(name: string): Promise<AzIdLookup>;
}

/** ECSSD_AZ_IDS: a fixed mapping, read at start. */
export class GivenAzIds implements AvailabilityZoneIds {
  constructor(private readonly ids: ReadonlyMap<string, string>) {}

  async idOf(name: string): Promise<AzIdLookup> {
    const azId = this.ids.get(name);
    return azId !== undefined ? { azId } : { problem: `ECSSD_AZ_IDS does not map the AZ ${quoted(name)}` };
  }
}

/**
 * The account's mapping from EC2's DescribeAvailabilityZones, in the client's region: one call, kept for the
 * process (a zone's ID never changes); a failed call is not kept, so the next task asks again.
 */
export class Ec2AzIds implements AvailabilityZoneIds {
  private ids: Promise<ReadonlyMap<string, string>> | undefined;

  constructor(
    private readonly ec2: EC2Client,
    private readonly call: Route53Call,
  ) {}

  async idOf(name: string): Promise<AzIdLookup> {
    let ids: ReadonlyMap<string, string>;
    try {
      ids = await this.mapping();
    } catch (err) {
      return {
        problem: `DescribeAvailabilityZones failed (${(err as Error).name}: ${(err as Error).message})`,
      };
    }
    const azId = ids.get(name);
    return azId !== undefined
      ? { azId }
      : { problem: `DescribeAvailabilityZones names no AZ ${quoted(name)} with an AZ ID` };
  }

  private mapping(): Promise<ReadonlyMap<string, string>> {
    if (this.ids === undefined) {
      const asked = this.call("DescribeAvailabilityZones", () =>
        // Every zone the account has, opted in or not: a task may run in a local zone the region lists so.
        this.ec2.send(new DescribeAvailabilityZonesCommand({ AllAvailabilityZones: true })),
      ).then((out) => {
        const ids = new Map<string, string>();
        for (const z of out.AvailabilityZones ?? []) {
          // Only IDs of the shape the records carry (records/availabilityZones.ts); others stay unknown.
          if (z.ZoneName && z.ZoneId && availabilityZoneIdProblem(z.ZoneId) === undefined)
            ids.set(z.ZoneName, z.ZoneId);
        }
        return ids;
      });
      asked.catch(() => {
        if (this.ids === asked) this.ids = undefined;
      });
      this.ids = asked;
    }
    return this.ids;
  }
}

/** The mapping the registrar uses: ECSSD_AZ_IDS when given, else EC2's when there is a client, else none. */
export function availabilityZoneIds(
  given: ReadonlyMap<string, string> | undefined,
  ec2: EC2Client | undefined,
  call: Route53Call,
): AvailabilityZoneIds | undefined {
  if (given !== undefined && given.size > 0) return new GivenAzIds(given);
  return ec2 === undefined ? undefined : new Ec2AzIds(ec2, call);
}

function quoted(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}
