// ZoneWriter over the Route53 edge (route53/): counts every API call, and turns Route53's errors into the
// edge's classes, which are the core's (ZoneBusyError, InvalidChangeBatchError); the rest stay as they are.
import type { Route53Client } from "@aws-sdk/client-route-53";
import { canonicalName, isOwnType, ownedByHost, parseSetIdentifier, type RecordSet } from "../records";
import {
  changeRecordSets,
  type Route53Call,
  recordSetPages,
  translateError,
  withRetries,
  type ZonePosition,
  type ZoneRef,
  zoneIdCache,
} from "../route53";
import type { RecordChange, ZoneWriter } from "./zoneWriter";

/** Counts every API call by action, for metrics and the benchmark. */
export type ApiCallObserver = (action: string) => void;

/** Start-up meets the same throttling as everything else: retry what is worth retrying, a few times. */
const ZONE_LOOKUP_RETRIES = { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 5_000 };

/**
 * The zone's id at start-up, by the edge's one lookup: the configured id, or the private hosted zone of the
 * name, each request retried a few times when the zone is busy and its error translated into the core's.
 */
export function zoneIdAtStart(client: Route53Client, zone: ZoneRef): Promise<string> {
  return zoneIdCache(client, zone, (_operation, send) =>
    translated(() => withRetries(send, ZONE_LOOKUP_RETRIES)),
  )();
}

export class Route53Zone implements ZoneWriter {
  private readonly call: Route53Call;

  constructor(
    private readonly client: Route53Client,
    readonly zoneId: string,
    onApiCall: ApiCallObserver = () => {},
  ) {
    this.call = (operation, send) => {
      onApiCall(operation);
      return translated(send);
    };
  }

  async listHostRecordSets(hostId: string, deployment?: string): Promise<RecordSet[]> {
    const out: RecordSet[] = [];
    for await (const rs of this.pages()) {
      if (isOwnType(rs) && ownedByHost(parseSetIdentifier(rs.SetIdentifier), { hostId, deployment }))
        out.push(rs);
    }
    return out;
  }

  async readNames(names: string[]): Promise<RecordSet[]> {
    const out: RecordSet[] = [];
    for (const name of [...new Set(names.map(canonicalName))]) {
      for await (const rs of this.pages({ name })) {
        if (rs.Name !== name) break;
        if (isOwnType(rs)) out.push(rs);
      }
    }
    return out;
  }

  async change(changes: RecordChange[]): Promise<void> {
    await changeRecordSets(this.client, this.zoneId, changes, "ecssd agent", this.call);
  }

  private pages(start?: ZonePosition) {
    return recordSetPages(this.client, this.zoneId, { call: this.call, ...(start && { start }) });
  }
}

/** Runs `send`, its error translated into the edge's classes (the core's). */
async function translated<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    throw translateError(err);
  }
}
