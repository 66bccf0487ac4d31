// The agent's checks keep their pace when the wall clock is stepped back (NTP, a restored VM): the schedule
// and the monitor run on the monotonic clock, as the agent builds them.
import assert from "node:assert/strict";
import { CheckSchedule, type CheckTarget } from "../../agent/checkSchedule";
import { HealthMonitor } from "../../agent/healthMonitor";
import { CHECK_DEFAULTS } from "../../records";

describe("agent: checks on a stepped wall clock", () => {
  const realNow = Date.now;
  afterEach(() => {
    Date.now = realNow;
  });

  it("keeps probing every interval after the wall clock goes back an hour", async () => {
    // The wall clock, as every reader sees it from now on: real time plus a step that the test sets.
    let step = 0;
    Date.now = () => realNow() + step;
    const probedAt: number[] = [];
    const schedule = new CheckSchedule();
    const monitor = new HealthMonitor({
      schedule,
      prober: async () => {
        probedAt.push(performance.now());
        return { passed: true, detail: "HTTP 200" };
      },
      log: { info() {}, warn() {}, error() {}, debug() {} } as never,
      onTransition: () => {},
    });
    const target: CheckTarget = {
      key: "c1/8080",
      group: "c1",
      check: { kind: "tcp", ...CHECK_DEFAULTS, intervalMs: 50 },
      address: "127.0.0.1",
      port: 8080,
      service: "_calc._tcp",
    };
    monitor.setGroup("c1", [target]);
    const until = async (n: number) => {
      const deadline = performance.now() + 5_000;
      while (probedAt.length < n && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    };
    await until(2);
    const before = probedAt.length;
    step = -3_600_000;
    await until(before + 4);
    await monitor.stop();
    assert.ok(probedAt.length >= before + 4, `only ${probedAt.length - before} probes after the step`);
  });
});
