// Fills a hosted zone (the local zone's or moto's) through the Route53 SDK, for tests and benchmarks that
// need records in place before the code under test runs. Written apart from route53/'s batch splitter on
// purpose: a seed must not depend on the code it is there to test.
import {
  type Change,
  ChangeResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
} from "@aws-sdk/client-route-53";

// Route53 takes at most 1,000 values and 32,000 characters of values per request, an UPSERT counting
// twice; 30,000 leaves room so that a seed is never the request Route53 rejects.
const MAX_VALUES = 1_000;
const MAX_CHARACTERS = 30_000;

function size(c: Change): { values: number; characters: number } {
  const factor = c.Action === "UPSERT" ? 2 : 1;
  const values = c.ResourceRecordSet?.ResourceRecords ?? [];
  return {
    values: values.length * factor,
    characters: values.reduce((n, r) => n + (r.Value ?? "").length, 0) * factor,
  };
}

/**
 * Sends `changes` in order, in as few ChangeResourceRecordSets requests as Route53's limits allow (one for
 * a handful); resolves with the number of requests.
 *
 * @example
 * await changeZone(route53, zone.hostedZoneId, [{ Action: "UPSERT", ResourceRecordSet: aSet }]);
 */
export async function changeZone(
  route53: Route53Client,
  hostedZoneId: string,
  changes: readonly Change[],
): Promise<number> {
  let requests = 0;
  let batch: Change[] = [];
  let values = 0;
  let characters = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    await route53.send(
      new ChangeResourceRecordSetsCommand({ HostedZoneId: hostedZoneId, ChangeBatch: { Changes: batch } }),
    );
    requests++;
    batch = [];
    values = 0;
    characters = 0;
  };
  for (const change of changes) {
    const s = size(change);
    if (values + s.values > MAX_VALUES || characters + s.characters > MAX_CHARACTERS) await flush();
    batch.push(change);
    values += s.values;
    characters += s.characters;
  }
  await flush();
  return requests;
}

/** Writes record sets with CREATE. */
export function createSets(
  route53: Route53Client,
  hostedZoneId: string,
  sets: readonly ResourceRecordSet[],
): Promise<number> {
  return changeZone(
    route53,
    hostedZoneId,
    sets.map((s) => ({ Action: "CREATE", ResourceRecordSet: s })),
  );
}

/** Deletes record sets exactly as given (as read from the zone). */
export function deleteSets(
  route53: Route53Client,
  hostedZoneId: string,
  sets: readonly ResourceRecordSet[],
): Promise<number> {
  return changeZone(
    route53,
    hostedZoneId,
    sets.map((s) => ({ Action: "DELETE", ResourceRecordSet: s })),
  );
}
