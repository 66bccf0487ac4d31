// The loop's waits against a clock that misbehaves, and its retry warnings during an outage: a clock stepped
// back does not hold a change back, and a zone that keeps failing gives one warning line per interval, not
// one per retry.
import assert from "node:assert/strict";
import { type Log, SyncLoop } from "../../agent/syncLoop";
import { type RecordChange, ZoneBusyError, type ZoneWriter } from "../../agent/zoneWriter";
import type { RecordSet } from "../../records";

const HOST = "h1";

const srv: RecordSet = {
  Name: "_calc._tcp.servicediscovery.internal",
  Type: "SRV",
  TTL: 10,
  SetIdentifier: `ecssd1:${HOST}:${"ab".repeat(12)}:8080`,
  MultiValueAnswer: true,
  ResourceRecords: [{ Value: `1 1 32768 ${HOST}.servicediscovery.internal` }],
};

/** A zone that fails its first `failures` writes as busy, then takes them, noting when. */
class FlakyZone implements ZoneWriter {
  writes: number[] = [];
  attempts = 0;
  constructor(private failures: number) {}
  async listHostRecordSets(): Promise<RecordSet[]> {
    return [];
  }
  async readNames(): Promise<RecordSet[]> {
    return [];
  }
  async change(_changes: RecordChange[]): Promise<void> {
    this.attempts++;
    if (this.failures-- > 0) throw new ZoneBusyError("Throttling", true);
    this.writes.push(Date.now());
  }
}

function recordingLog() {
  const lines: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj: obj as Record<string, unknown>, ...(msg !== undefined && { msg }) });
    };
  const log: Log = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  return { log, lines };
}

describe("agent sync loop: clock and retry warnings", () => {
  it("sends a pending change within the flush window even when the clock steps back an hour", async () => {
    let clock = 10_000_000;
    const zone = new FlakyZone(0);
    const l = new SyncLoop({
      zone,
      hostId: HOST,
      flushMs: 100,
      log: recordingLog().log,
      now: () => clock,
    });
    await l.loadApplied();
    l.start();
    const started = Date.now();
    l.setGroup("c", [srv]);
    clock -= 3_600_000; // stepped back after the change came in
    for (let i = 0; i < 100 && zone.writes.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(zone.writes.length, 1, "the change was written");
    // Bounded loosely (a busy machine), yet far below the hour a wall-clock wait would have taken.
    assert.ok((zone.writes[0] as number) - started < 1_500, `${(zone.writes[0] as number) - started} ms`);
    await l.stop();
  });

  it("logs one warning for a run of failures within the interval, and the count when the zone recovers", async () => {
    const zone = new FlakyZone(30);
    const { log, lines } = recordingLog();
    const l = new SyncLoop({
      zone,
      hostId: HOST,
      flushMs: 0,
      log,
      backoff: { baseMs: 1, capMs: 2 },
      now: () => 42, // the whole outage inside one interval
    });
    await l.loadApplied();
    l.start();
    l.setGroup("c", [srv]);
    assert.ok(await l.flush(10_000));
    assert.equal(zone.attempts, 31);
    const warnings = lines.filter((x) => x.level === "warn" && x.obj.action === "retry");
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    const recovered = lines.find((x) => x.obj.action === "recovered");
    assert.equal(recovered?.obj.unlogged, 29);
    await l.stop();
  });
});
