// The registrar's TaskZone over the coalescer, held to Route53TaskZone's contract: writes submitted in one
// change, exact deletes refused (with nothing sent) as Route53 would refuse them, and a task's sets told from
// everyone else's by the same rule. The real coalescer, the real SDK, the local zone.
import assert from "node:assert/strict";
import type { Route53Client } from "@aws-sdk/client-route-53";
import type { Coalescer } from "../../coalescer/coalescer";
import { type LocalZone, startLocalZone } from "../../local/zone";
import {
  parseServiceDeclarations,
  type RecordSet,
  taskAddressRecordSet,
  taskInstanceRecordSet,
} from "../../records";
import { CoalescerTaskZone } from "../../registrar/coalescerTaskZone";
import { route53Client, toRoute53 } from "../../route53";
import { digShortCanonical as dig } from "../kit/dig";
import { localCoalescer } from "../kit/localCoalescer";
import { hostA, srvRecord } from "../kit/recordFixtures";
import { changeZone, createSets } from "../kit/zoneSeeding";

const ZONE = "servicediscovery.internal";
const TASK = "0123456789abcdef0123456789abcdef";
const OTHER_TASK = "fedcba9876543210fedcba9876543210";

function ok<T>(r: { recordSet: T } | { problems: unknown[] }): T {
  if ("problems" in r) throw new Error(JSON.stringify(r.problems));
  return r.recordSet;
}

/** A task's A record and the SRV record of its port 8080 (`_time._tcp`), as the registrar writes them. */
function taskSets(taskId: string, address: string, deployment?: string): RecordSet[] {
  const base = { zone: ZONE, taskId, ...(deployment !== undefined && { deployment }) };
  const service = parseServiceDeclarations(["SERVICE_8080_NAME=_time._tcp"], {}).services[0];
  if (!service) throw new Error("no service");
  return [ok(taskAddressRecordSet({ ...base, address })), ok(taskInstanceRecordSet({ ...base, service }))];
}

describe("registrar: CoalescerTaskZone (the task zone over the coalescer, local zone)", () => {
  let zone: LocalZone;
  let route53: Route53Client;
  let changes: Coalescer | undefined;

  beforeEach(async () => {
    zone = await startLocalZone({ zoneName: ZONE });
    route53 = route53Client({ endpoint: zone.apiUrl });
  });

  afterEach(async () => {
    await changes?.stop(0);
    changes = undefined;
    route53.destroy();
    await zone.close();
  });

  /** The coalescer, started (it lists the zone: seed before). */
  async function coalescer(): Promise<Coalescer> {
    changes = localCoalescer(zone, { client: route53 });
    await changes.start();
    return changes;
  }

  const writes = () => zone.stats().ChangeResourceRecordSets ?? 0;

  it("submits a task's UPSERTs in one change", async () => {
    const changes = await coalescer();
    const sets = taskSets(TASK, "10.0.1.5", "blue");
    const before = writes();
    await new CoalescerTaskZone(changes, "blue").upsert(sets);
    assert.equal(writes(), before + 1);
    const held = await changes.readNames(sets.map((s) => s.Name));
    assert.deepEqual(held.map((s) => s.SetIdentifier).sort(), sets.map((s) => s.SetIdentifier).sort());
  });

  it("deletes a task's sets held exactly as given, and refuses with nothing sent when one is absent or differs", async () => {
    const changes = await coalescer();
    const taskZone = new CoalescerTaskZone(changes, "blue");
    const sets = taskSets(TASK, "10.0.1.5", "blue");
    await taskZone.upsert(sets);
    const before = writes();

    const moved = taskSets(TASK, "10.0.1.6", "blue"); // the A record with another address
    assert.equal(await taskZone.deleteExactly(moved), false, "a set that differs");
    const neverWritten = taskSets(OTHER_TASK, "10.0.1.7", "blue");
    assert.equal(await taskZone.deleteExactly([...sets, ...neverWritten]), false, "a set that is absent");
    assert.equal(writes(), before, "a refused delete costs no request");
    assert.equal((await changes.readNames(sets.map((s) => s.Name))).length, 2, "nothing was deleted");

    assert.equal(await taskZone.deleteExactly(sets), true);
    assert.equal(writes(), before + 1);
    assert.deepEqual(await changes.readNames(sets.map((s) => s.Name)), []);
    assert.equal(await taskZone.deleteExactly(sets), false, "a repeated stop finds nothing to delete");
    assert.equal(writes(), before + 1, "and sends nothing");
  });

  it("answers false, as Route53 would, when the zone changed behind the copy and the delete is refused", async () => {
    const changes = await coalescer();
    const taskZone = new CoalescerTaskZone(changes, "blue");
    const sets = taskSets(TASK, "10.0.1.5", "blue");
    await taskZone.upsert(sets);
    const moved = taskSets(TASK, "10.0.1.6", "blue");
    await changeZone(route53, zone.hostedZoneId, [
      { Action: "UPSERT", ResourceRecordSet: toRoute53(moved[0] as RecordSet) },
    ]);
    assert.equal(await taskZone.deleteExactly(sets), false);
    assert.deepEqual(await dig(zone, "A", `${TASK}.${ZONE}`), ["10.0.1.6"], "nothing deleted");
    const found = await taskZone.taskSets([`${TASK}.${ZONE}`], TASK);
    assert.equal(await taskZone.deleteExactly(found), true, "the sets as read again are deleted");
    assert.deepEqual(await dig(zone, "A", `${TASK}.${ZONE}`), []);
  });

  it("takes as a task's sets its own deployment's and its unattributed ones, nobody else's", async () => {
    const own = taskSets(TASK, "10.0.1.5", "blue");
    const unattributed = taskSets(TASK, "10.0.1.5");
    const otherDeployment = taskSets(TASK, "10.0.1.5", "green");
    const otherTask = taskSets(OTHER_TASK, "10.0.1.8", "blue");
    const agents = [
      hostA("i-0abc"),
      srvRecord({ hostId: "i-0abc", container: 1, hostPort: 32768, service: "_time._tcp" }),
    ];
    await createSets(
      route53,
      zone.hostedZoneId,
      [...own, ...unattributed, ...otherDeployment, ...otherTask, ...agents].map(toRoute53),
    );
    const changes = await coalescer();
    const names = [...new Set([...own, ...otherTask].map((s) => s.Name))];
    const found = await new CoalescerTaskZone(changes, "blue").taskSets(names, TASK);
    assert.deepEqual(
      found.map((s) => s.SetIdentifier).sort(),
      [...own, ...unattributed].map((s) => s.SetIdentifier).sort(),
    );
    const withoutDeployment = await new CoalescerTaskZone(changes).taskSets(names, TASK);
    assert.deepEqual(
      withoutDeployment.map((s) => s.SetIdentifier).sort(),
      unattributed.map((s) => s.SetIdentifier).sort(),
      "without a deployment, only the unattributed sets",
    );
  });
});
