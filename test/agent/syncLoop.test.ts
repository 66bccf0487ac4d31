// The loop's memory of changes the zone refuses is bounded: a rejection is forgotten once its change is no
// longer pending (the container moved on or went away), and never more than `maxRejected` are kept. An
// agent runs for months; a zone that keeps refusing ever new changes must not grow it without end.
import assert from "node:assert/strict";
import { type Log, SyncLoop } from "../../agent/syncLoop";
import { InvalidChangeBatchError, type RecordChange, type ZoneWriter } from "../../agent/zoneWriter";
import type { RecordSet } from "../../records";

const HOST = "h1";
const quiet: Log = { debug() {}, info() {}, warn() {}, error() {} };

function srv(container: number, port: number): RecordSet {
  return {
    Name: "_calc._tcp.servicediscovery.internal",
    Type: "SRV",
    TTL: 10,
    SetIdentifier: `ecssd1:${HOST}:${container.toString(16).padStart(24, "0")}:8080`,
    MultiValueAnswer: true,
    ResourceRecords: [{ Value: `1 1 ${port} ${HOST}.servicediscovery.internal` }],
  };
}

/** A zone that refuses, as a whole batch, any change to a port below 1024; it holds nothing else. */
class RefusingZone implements ZoneWriter {
  readonly written = new Map<string, RecordSet>();
  requests = 0;
  constructor(private readonly onRequest: () => void = () => {}) {}
  async listHostRecordSets(): Promise<RecordSet[]> {
    return [...this.written.values()];
  }
  async readNames(names: string[]): Promise<RecordSet[]> {
    return [...this.written.values()].filter((rs) => names.includes(rs.Name));
  }
  async change(changes: RecordChange[]): Promise<void> {
    this.requests++;
    this.onRequest();
    const refused = changes.find((c) => Number(c.recordSet.ResourceRecords[0]?.Value.split(" ")[2]) < 1024);
    if (refused) throw new InvalidChangeBatchError(`refused: ${refused.recordSet.SetIdentifier}`);
    for (const c of changes) {
      if (c.action === "DELETE") this.written.delete(c.recordSet.SetIdentifier);
      else this.written.set(c.recordSet.SetIdentifier, c.recordSet);
    }
  }
}

function loop(zone: ZoneWriter, maxRejected?: number): SyncLoop {
  return new SyncLoop({
    zone,
    hostId: HOST,
    flushMs: 0,
    log: quiet,
    backoff: { baseMs: 1, capMs: 5 },
    ...(maxRejected !== undefined && { maxRejected }),
  });
}

describe("agent sync loop: rejected changes", () => {
  it("skips a change the zone refuses, and forgets it when the container moves on or goes", async () => {
    const zone = new RefusingZone();
    const l = loop(zone);
    await l.loadApplied();
    l.start();
    l.setGroup("good", [srv(1, 8080)]);
    // A container that keeps being recreated with a port the zone refuses: a new change every time.
    for (let port = 1; port <= 200; port++) {
      l.setGroup("bad", [srv(2, port)]);
      assert.ok(await l.flush(5_000), `converged with port ${port}`);
      assert.equal(l.rejectedCount, 1, `one remembered rejection after ${port} refused changes`);
      assert.deepEqual(l.pendingChanges(), []);
    }
    l.setGroup("bad", [srv(2, 9090)]);
    assert.ok(await l.flush(5_000));
    assert.equal(l.rejectedCount, 0, "the accepted change leaves nothing remembered");
    l.removeGroup("bad");
    assert.ok(await l.flush(5_000));
    assert.equal(l.rejectedCount, 0);
    assert.deepEqual([...zone.written.keys()], [srv(1, 8080).SetIdentifier]);
    await l.stop();
  });

  it("forgets a rejection when its container goes away", async () => {
    const l = loop(new RefusingZone());
    await l.loadApplied();
    l.start();
    l.setGroup("bad", [srv(2, 53)]);
    assert.ok(await l.flush(5_000));
    assert.equal(l.rejectedCount, 1);
    l.removeGroup("bad");
    assert.ok(await l.flush(5_000));
    assert.equal(l.rejectedCount, 0);
    await l.stop();
  });

  it("never remembers more than maxRejected, even with more refused changes pending at once", async () => {
    let most = 0;
    let l: SyncLoop | undefined;
    const zone = new RefusingZone(() => {
      most = Math.max(most, l?.rejectedCount ?? 0);
    });
    l = loop(zone, 3);
    await l.loadApplied();
    l.start();
    const groups = new Map(Array.from({ length: 8 }, (_, i) => [`bad${i}`, [srv(10 + i, 100 + i)]]));
    groups.set("good", [srv(1, 8080)]);
    l.replaceAll(groups);
    // Eight refused changes and room for three: the loop keeps retrying the forgotten ones, with back-off
    // (and may not get to the other changes meanwhile: the cap is far above any host's record sets).
    assert.equal(await l.flush(1_000), false, "forgotten rejections keep the loop busy");
    most = Math.max(most, l.rejectedCount);
    assert.ok(most <= 3, `at most 3 remembered, saw ${most}`);
    assert.ok(zone.requests > 8, "forgotten rejections are tried again");
    // The refused containers go: nothing is left to remember, and the loop settles.
    l.replaceAll(new Map([["good", [srv(1, 8080)]]]));
    assert.ok(await l.flush(5_000));
    assert.equal(l.rejectedCount, 0);
    assert.deepEqual([...zone.written.keys()], [srv(1, 8080).SetIdentifier]);
    await l.stop();
  });
});
