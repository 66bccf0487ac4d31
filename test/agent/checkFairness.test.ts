// The health monitor shares its probe slots between containers, and applies a held verdict when its
// hold-down ends: the real monitor and schedule on real timers, with a prober that hangs for a check's whole
// timeout as the network prober does against an endpoint that never answers.
import assert from "node:assert/strict";
import type { Prober } from "../../agent/checkProber";
import { CheckSchedule, type CheckTarget, type Transition } from "../../agent/checkSchedule";
import { HealthMonitor } from "../../agent/healthMonitor";
import { CHECK_DEFAULTS, type CheckDeclaration } from "../../records";

const quiet = { info() {}, warn() {}, error() {}, debug() {} } as never;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function target(group: string, port: number, over: Partial<CheckDeclaration> = {}): CheckTarget {
  return {
    key: `${group}/${port}`,
    group,
    check: { kind: "tcp", ...CHECK_DEFAULTS, ...over },
    address: "127.0.0.1",
    port,
    service: `_${group}._tcp`,
  };
}

describe("agent: health monitor, fair slots and hold-down", function () {
  this.timeout(20_000);
  let monitor: HealthMonitor | undefined;
  afterEach(async () => {
    await monitor?.stop();
    monitor = undefined;
  });

  // Finding 4 of issue 25: 640 hanging ports of one container held a neighbour's first probe back 5 s at a
  // 0.5 s timeout (ten rounds of 64 slots); at a 60 s timeout, ten minutes.
  it("starts a neighbour's first probe within one timeout of a container whose hundreds of probes hang", async () => {
    const TIMEOUT_MS = 500;
    const started = new Map<string, number>();
    const prober: Prober = async (t) => {
      started.set(t.key, performance.now());
      if (t.group === "noisy") {
        await sleep(t.check.timeoutMs);
        return { passed: false, detail: `timed out after ${t.check.timeoutMs} ms` };
      }
      return { passed: true, detail: "open" };
    };
    monitor = new HealthMonitor({
      schedule: new CheckSchedule(),
      prober,
      log: quiet,
      onTransition: () => {},
    });
    monitor.setGroup(
      "noisy",
      Array.from({ length: 640 }, (_, i) => target("noisy", 20_000 + i, { timeoutMs: TIMEOUT_MS })),
    );
    await sleep(100);
    const added = performance.now();
    monitor.setGroup("neighbour", [target("neighbour", 8080)]);
    for (let i = 0; i < 800 && !started.has("neighbour/8080"); i++) await sleep(10);
    const waited = (started.get("neighbour/8080") ?? Number.POSITIVE_INFINITY) - added;
    // One timeout, plus the timers' own lateness on a busy machine.
    assert.ok(
      waited <= TIMEOUT_MS + 150,
      `the neighbour's first probe started after ${Math.round(waited)} ms`,
    );
  });

  it("applies a verdict held by the hold-down when it ends, without waiting for another probe", async () => {
    // Probes at 0, 1 and 2 s: a pass (enters at once), then two failures, the second of which makes the
    // port failing within the hold-down. The next probe is due at 3 s; the hold-down ends at 2.3 s.
    const HOLD_MS = 2_300;
    const results = [true, false, false, false, false];
    const transitions: { at: number; t: Transition }[] = [];
    monitor = new HealthMonitor({
      schedule: new CheckSchedule(undefined, HOLD_MS),
      prober: async () => {
        const passed = results.shift() ?? false;
        return { passed, detail: passed ? "open" : "refused" };
      },
      log: quiet,
      onTransition: (_group, t) => transitions.push({ at: performance.now(), t }),
    });
    monitor.setGroup("c1", [target("c1", 8080, { intervalMs: 1_000, unhealthyThreshold: 2 })]);
    for (let i = 0; i < 400 && transitions.length < 2; i++) await sleep(10);
    assert.deepEqual(
      transitions.map(({ t }) => t.to),
      ["passing", "failing"],
    );
    const after = (transitions[1]?.at ?? 0) - (transitions[0]?.at ?? 0);
    assert.ok(
      after >= HOLD_MS - 5 && after < HOLD_MS + 400,
      `applied ${Math.round(after)} ms after the entry`,
    );
  });
});
