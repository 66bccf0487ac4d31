// The loop's reads of the zone (the first list, and re-reads) wait out a busy zone without a bound, with
// the edge's back-off, and report anything else at once; a stopping loop gives up.
import assert from "node:assert/strict";
import { type Log, type LoopObserver, SyncLoop } from "../../agent/syncLoop";
import { type RecordChange, ZoneBusyError, type ZoneWriter } from "../../agent/zoneWriter";
import type { RecordSet } from "../../records";

/** A zone whose listing fails with the given errors, one per attempt, then answers. */
class FailingReads implements ZoneWriter {
  attempts = 0;
  constructor(private readonly errors: unknown[]) {}
  async listHostRecordSets(): Promise<RecordSet[]> {
    this.attempts++;
    const err = this.errors.shift();
    if (err !== undefined) throw err;
    return [];
  }
  async readNames(): Promise<RecordSet[]> {
    return [];
  }
  async change(_changes: RecordChange[]): Promise<void> {}
}

function recording() {
  const warnings: Record<string, unknown>[] = [];
  /** Every retry's line: the first a warning, the rest of the minute debug lines. */
  const retries: Record<string, unknown>[] = [];
  const counted: string[] = [];
  const log: Log = {
    debug: (obj) => void retries.push({ ...obj }),
    info() {},
    warn: (obj) => {
      warnings.push({ ...obj });
      retries.push({ ...obj });
    },
    error() {},
  };
  const observer: LoopObserver = {
    batchApplied() {},
    changesApplied() {},
    throttled: () => void counted.push("throttled"),
    failed: (kind) => void counted.push(kind),
    recordCounts() {},
  };
  return { log, observer, warnings, retries, counted };
}

function loop(zone: ZoneWriter, r: ReturnType<typeof recording>, random = () => 0.5): SyncLoop {
  return new SyncLoop({
    zone,
    hostId: "h1",
    flushMs: 0,
    log: r.log,
    observer: r.observer,
    backoff: { baseMs: 4, capMs: 16 },
    random,
  });
}

describe("agent sync loop: zone reads", () => {
  it("retries a busy zone past any attempt bound, with full-jitter delays below a doubling cap", async () => {
    const busy = Array.from({ length: 12 }, (_, i) => new ZoneBusyError("busy", i % 2 === 0));
    const zone = new FailingReads([...busy]);
    const r = recording();
    await loop(zone, r).loadApplied();
    assert.equal(zone.attempts, 13);
    // random() = 0.5 of a cap of 4, 8, then 16 ms (capMs) from there on.
    assert.deepEqual(
      r.retries.map((w) => w.delayMs),
      [2, 4, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8],
    );
    assert.ok(r.retries.every((w) => w.action === "list" && String(w.err).startsWith("ZoneBusyError")));
    // One warning a minute, however many attempts.
    assert.equal(r.warnings.length, 1);
    assert.deepEqual(
      r.counted,
      busy.map((e) => (e.throttled ? "throttled" : "transient")),
    );
  });

  it("reports an error that is not a busy zone at once, counted as other", async () => {
    const refused = Object.assign(new Error("refused"), { code: "ECONNREFUSED" });
    const zone = new FailingReads([refused]);
    const r = recording();
    await assert.rejects(loop(zone, r).loadApplied(), (err) => err === refused);
    assert.equal(zone.attempts, 1);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.counted, ["other"]);
  });

  it("gives up waiting when the loop stops", async () => {
    const zone = new FailingReads(Array.from({ length: 1_000 }, () => new ZoneBusyError("busy", true)));
    const r = recording();
    const l = loop(zone, r, () => 0.99);
    const loading = l.loadApplied();
    await new Promise((resolve) => setTimeout(resolve, 40));
    await l.stop();
    await assert.rejects(loading, ZoneBusyError);
    assert.ok(zone.attempts < 1_000);
  });
});
