// Route53's exact words for the record-set quota are not published. The sync loop must not mistake a full zone
// for a change refused on its own even when the words are others: a lone new set refused while
// GetHostedZoneLimit shows the zone at its limit is the quota. It is warned about and kept pending, not skipped.
import assert from "node:assert/strict";
import { type Log, SyncLoop } from "../../agent/syncLoop";
import { InvalidChangeBatchError, type RecordChange, type ZoneWriter } from "../../agent/zoneWriter";
import type { RecordSet } from "../../records";
import { QuotaWarning, type RecordSetUsage } from "../../route53/recordSetQuota";

const HOST = "h1";

function srv(container: number): RecordSet {
  return {
    Name: "_calc._tcp.servicediscovery.internal",
    Type: "SRV",
    TTL: 10,
    SetIdentifier: `ecssd1:${HOST}:${container.toString(16).padStart(24, "0")}:8080`,
    MultiValueAnswer: true,
    ResourceRecords: [{ Value: `1 1 ${30000 + container} ${HOST}.servicediscovery.internal` }],
  };
}

/** A zone with a quota that refuses, in words of its own, any batch that would take it above the limit. */
class FullZone implements ZoneWriter {
  readonly sets = new Map<string, RecordSet>();
  constructor(
    public limit: number,
    /** What it says when full: words of its own, or Route53's (the local zone's) quota words. */
    private readonly words = "[The zone cannot take this batch]",
  ) {}
  usage = async (): Promise<RecordSetUsage> => ({ used: this.sets.size, limit: this.limit });
  async listHostRecordSets(): Promise<RecordSet[]> {
    return [...this.sets.values()];
  }
  async readNames(names: string[]): Promise<RecordSet[]> {
    return [...this.sets.values()].filter((rs) => names.includes(rs.Name));
  }
  async change(changes: RecordChange[]): Promise<void> {
    const after = new Map(this.sets);
    for (const c of changes) {
      if (c.action === "DELETE") after.delete(c.recordSet.SetIdentifier as string);
      else after.set(c.recordSet.SetIdentifier as string, c.recordSet);
    }
    if (after.size > this.sets.size && after.size > this.limit) throw new InvalidChangeBatchError(this.words);
    this.sets.clear();
    for (const [k, v] of after) this.sets.set(k, v);
  }
}

/** A started loop over `zone`, quick to back off, told the zone's usage for its quota warning. */
async function startedLoop(zone: FullZone, log: Log): Promise<SyncLoop> {
  const loop = new SyncLoop({
    zone,
    hostId: HOST,
    flushMs: 0,
    log,
    backoff: { baseMs: 1, capMs: 5 },
    quota: {
      warning: new QuotaWarning(log),
      zone: { name: "servicediscovery.internal", id: "Z1" },
      usage: zone.usage,
    },
  });
  await loop.loadApplied();
  loop.start();
  return loop;
}

describe("agent sync loop: a full zone, whatever Route53's words", () => {
  it("takes a lone new set refused at the zone's limit for the quota: warned, kept pending, written later", async () => {
    const zone = new FullZone(1);
    const warnings: Record<string, unknown>[] = [];
    const errors: string[] = [];
    const log: Log = {
      debug() {},
      info() {},
      warn: (obj) => void warnings.push({ ...obj }),
      error: (_obj, msg) => void errors.push(msg ?? ""),
    };
    const loop = await startedLoop(zone, log);
    loop.setGroup("a", [srv(1)]);
    assert.ok(await loop.flush(5_000));
    loop.setGroup("b", [srv(2)]);
    assert.equal(await loop.flush(300), false, "the new set cannot land while the zone is full");
    assert.equal(loop.rejectedCount, 0, "nothing is skipped until the container changes");
    assert.deepEqual(errors, [], "no 'skipping it' line");
    assert.deepEqual(
      warnings.filter((w) => w.action === "record-set-quota"),
      [{ action: "record-set-quota", zone: "servicediscovery.internal", zoneId: "Z1", used: 1, limit: 1 }],
    );
    zone.limit = 2;
    assert.ok(await loop.flush(5_000), "written once there is room");
    assert.equal(zone.sets.size, 2);
    await loop.stop();
  });

  it("lets a delete through when the refused batch adds sets only by updating ones that vanished", async () => {
    const zone = new FullZone(10, "Exceeded limit on number of RRSets in this zone");
    const log: Log = { debug() {}, info() {}, warn() {}, error() {} };
    const loop = await startedLoop(zone, log);
    for (const n of [1, 2, 3, 4]) loop.setGroup(`c${n}`, [srv(n)]);
    assert.ok(await loop.flush(5_000));
    // Behind the agent's back: two of its sets vanish, another writer fills the zone, the quota is lowered.
    zone.sets.delete(srv(1).SetIdentifier);
    zone.sets.delete(srv(4).SetIdentifier);
    zone.sets.set("theirs", { ...srv(9), SetIdentifier: "theirs" });
    zone.limit = 3;
    // Container 3 stops; containers 1 and 4 change (updates, as far as the agent knows).
    loop.removeGroup("c3");
    loop.setGroup("c1", [{ ...srv(1), TTL: 20 }]);
    loop.setGroup("c4", [{ ...srv(4), TTL: 20 }]);
    assert.equal(await loop.flush(500), false, "the vanished sets cannot come back while the zone is full");
    assert.equal(zone.sets.has(srv(3).SetIdentifier), false, "the stopped container left DNS all the same");
    // Read again, both are what they are to Route53, additions, and wait for room together.
    assert.deepEqual(
      loop.pendingChanges().map((c) => [c.action, c.recordSet.SetIdentifier]),
      [
        ["CREATE", srv(1).SetIdentifier],
        ["CREATE", srv(4).SetIdentifier],
      ],
    );
    await loop.stop();
  });
});
