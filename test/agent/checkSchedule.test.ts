// The agent's check schedule and thresholds, on an injected clock: no timers, no sleeps.
import assert from "node:assert/strict";
import { CheckSchedule, type CheckTarget } from "../../agent/checkSchedule";
import { CHECK_DEFAULTS, type CheckDeclaration } from "../../records";

describe("agent: check schedule", () => {
  let now = 0;
  const clock = () => now;
  const check = (over: Partial<CheckDeclaration> = {}): CheckDeclaration => ({
    kind: "http",
    path: "/health",
    ...CHECK_DEFAULTS,
    ...over,
  });
  const target = (key: string, group = "c1", over: Partial<CheckDeclaration> = {}): CheckTarget => ({
    key,
    group,
    check: check(over),
    address: "127.0.0.1",
    port: 30000,
    service: "_calc._tcp",
  });
  /** Takes the one due probe of `key` and records its result; returns the state after. */
  function probe(s: CheckSchedule, key: string, passed: boolean) {
    const due = s.takeDue(100).find((t) => t.key === key);
    assert.ok(due, `${key} is due at ${now}`);
    const transition = s.record(due, passed, passed ? "HTTP 200" : "HTTP 500");
    return { state: s.state(key), transition };
  }

  beforeEach(() => {
    now = 1_000_000;
  });

  it("checks a new port at once and lets it in on its first pass", () => {
    const s = new CheckSchedule(clock);
    s.setGroup("c1", [target("a")]);
    assert.equal(s.state("a"), "pending");
    assert.equal(s.nextDue(), now);
    const { state, transition } = probe(s, "a", true);
    assert.equal(state, "passing");
    assert.deepEqual([transition?.from, transition?.to], ["pending", "passing"]);
  });

  it("keeps a port that never passes out, however often it fails", () => {
    const s = new CheckSchedule(clock);
    s.setGroup("c1", [target("a")]);
    for (let i = 0; i < 10; i++) {
      assert.equal(probe(s, "a", false).transition, undefined);
      now += CHECK_DEFAULTS.intervalMs;
    }
    assert.equal(s.state("a"), "pending");
  });

  it("takes a passing port out after the unhealthy threshold of consecutive failures, not before", () => {
    const s = new CheckSchedule(clock);
    s.setGroup("c1", [target("a", "c1", { unhealthyThreshold: 3 })]);
    probe(s, "a", true);
    const states: string[] = [];
    for (const passed of [false, false, true, false, false, false]) {
      now += CHECK_DEFAULTS.intervalMs;
      states.push(probe(s, "a", passed).state as string);
    }
    // A pass in between resets the count.
    assert.deepEqual(states, ["passing", "passing", "passing", "passing", "passing", "failing"]);
  });

  it("brings a failing port back after the healthy threshold of consecutive passes", () => {
    const s = new CheckSchedule(clock);
    s.setGroup("c1", [target("a", "c1", { unhealthyThreshold: 1, healthyThreshold: 2 })]);
    probe(s, "a", true);
    now += 5000;
    assert.equal(probe(s, "a", false).state, "failing");
    const states: string[] = [];
    for (const passed of [true, false, true, true]) {
      now += 5000;
      states.push(probe(s, "a", passed).state as string);
    }
    assert.deepEqual(states, ["failing", "failing", "failing", "passing"]);
  });

  it("schedules the next probe one interval after the last one started, and never two at once", () => {
    const s = new CheckSchedule(clock);
    s.setGroup("c1", [target("a", "c1", { intervalMs: 1000 })]);
    const [t] = s.takeDue(10);
    assert.ok(t);
    assert.deepEqual(s.takeDue(10), [], "a running probe is not due again");
    assert.equal(s.nextDue(), undefined);
    now += 300;
    s.record(t, true, "HTTP 200");
    assert.equal(s.nextDue(), now - 300 + 1000);
    now += 699;
    assert.deepEqual(s.takeDue(10), []);
    now += 1;
    assert.equal(s.takeDue(10).length, 1);
  });

  it("runs a probe that outlasted its interval again at once", () => {
    const s = new CheckSchedule(clock);
    s.setGroup("c1", [target("a", "c1", { intervalMs: 1000, timeoutMs: 2000 })]);
    const [t] = s.takeDue(10);
    now += 2000;
    s.record(t as CheckTarget, false, "timed out after 2000 ms");
    assert.equal(s.nextDue(), now);
  });

  it("hands out at most `limit` due probes, earliest first", () => {
    const s = new CheckSchedule(clock);
    s.setGroup("c1", [target("a")]);
    now += 10;
    s.setGroup("c2", [target("b", "c2")]);
    now += 10;
    assert.deepEqual(
      s.takeDue(1).map((t) => t.key),
      ["a"],
    );
    assert.deepEqual(
      s.takeDue(5).map((t) => t.key),
      ["b"],
    );
  });

  it("keeps a port's state through a resync, and starts over when its check or port changes", () => {
    const s = new CheckSchedule(clock);
    s.setGroup("c1", [target("a")]);
    probe(s, "a", true);
    s.setGroup("c1", [target("a")]);
    assert.equal(s.state("a"), "passing");
    s.setGroup("c1", [{ ...target("a"), port: 30001 }]);
    assert.equal(s.state("a"), "pending");
  });

  it("forgets a container's ports, and drops a result that comes back after", () => {
    const s = new CheckSchedule(clock);
    s.setGroup("c1", [target("a"), target("b")]);
    const due = s.takeDue(10);
    s.removeGroup("c1");
    assert.equal(s.size, 0);
    assert.equal(s.record(due[0] as CheckTarget, true, "HTTP 200"), undefined);
    assert.equal(s.state("a"), undefined);
  });

  it("counts ports by state and those without a result yet", () => {
    const s = new CheckSchedule(clock);
    s.setGroup("c1", [target("a"), target("b")]);
    assert.equal(s.unprobed(), 2);
    probe(s, "a", true);
    assert.deepEqual(s.counts(), { pending: 1, passing: 1, failing: 0 });
    assert.equal(s.unprobed(), 1);
  });

  // Finding 4 of issue 25: a probe slot went to the earliest due probe whoever's it was, so a container with
  // hundreds of due probes kept a neighbour's first probe waiting behind all of them.
  it("gives a free slot to the container with the fewest probes running, whoever waited longer", () => {
    const s = new CheckSchedule(clock);
    s.setGroup(
      "noisy",
      Array.from({ length: 300 }, (_, i) => target(`n${i}`, "noisy")),
    );
    assert.equal(s.takeDue(64).length, 64, "alone, a container may use every slot");
    now += 1_000;
    s.setGroup("quiet", [target("q", "quiet")]);
    // One of the noisy container's probes ends: its slot goes to the neighbour, not to the noisy backlog.
    assert.deepEqual(
      s.takeDue(1).map((t) => t.group),
      ["quiet"],
    );
  });

  it("shares slots round-robin between containers with probes due", () => {
    const s = new CheckSchedule(clock);
    s.setGroup(
      "a",
      Array.from({ length: 10 }, (_, i) => target(`a${i}`, "a")),
    );
    now += 10;
    s.setGroup(
      "b",
      Array.from({ length: 10 }, (_, i) => target(`b${i}`, "b")),
    );
    now += 10;
    s.setGroup("c", [target("c0", "c")]);
    const taken = s.takeDue(7).map((t) => t.key);
    assert.deepEqual(taken, ["a0", "b0", "c0", "a1", "b1", "a2", "b2"]);
  });

  describe("hold-down", () => {
    const HOLD = 10_000;
    const flaky = () => target("a", "c1", { intervalMs: 1000, unhealthyThreshold: 2, healthyThreshold: 2 });
    /** One probe a second with these results; returns the transitions, with the time each happened. */
    function run(s: CheckSchedule, results: boolean[]) {
      const out: string[] = [];
      for (const passed of results) {
        for (const t of s.takeReleased()) out.push(`${now}:${t.to}`);
        const t = probe(s, "a", passed).transition;
        if (t) out.push(`${now}:${t.to}`);
        now += 1000;
      }
      return out;
    }

    it("lets a port in on its first pass at once", () => {
      const s = new CheckSchedule(clock, HOLD);
      s.setGroup("c1", [flaky()]);
      assert.equal(probe(s, "a", true).transition?.to, "passing");
      assert.equal(s.heldUntil("a"), undefined);
    });

    it("changes a flapping port's place in DNS at most once per hold-down", () => {
      const s = new CheckSchedule(clock, HOLD);
      s.setGroup("c1", [flaky()]);
      const start = now;
      // Two failures, two passes, over and over: without a hold-down a change every two seconds.
      const flaps = Array.from({ length: 60 }, (_, i) => i === 0 || i % 4 >= 2);
      const changes = run(s, flaps).map((c) => Number(c.split(":")[0]) - start);
      assert.equal(changes[0], 0, "the first entry is not held");
      for (let i = 1; i < changes.length; i++) {
        assert.ok(
          (changes[i] as number) - (changes[i - 1] as number) >= HOLD,
          `changes at ${changes.join(", ")}`,
        );
      }
      assert.ok(changes.length >= 3, `the verdict still reaches DNS: ${changes.join(", ")}`);
    });

    it("applies a held verdict when the hold-down ends, and drops one that went back meanwhile", () => {
      const s = new CheckSchedule(clock, HOLD);
      s.setGroup("c1", [flaky()]);
      const entered = now;
      probe(s, "a", true);
      now += 1000;
      probe(s, "a", false);
      now += 1000;
      assert.equal(probe(s, "a", false).transition, undefined, "failing, but within the hold-down");
      assert.equal(s.state("a"), "passing", "DNS keeps the port");
      assert.equal(s.heldUntil("a"), entered + HOLD);
      assert.equal(s.nextRelease(), entered + HOLD);
      now = entered + HOLD - 1;
      assert.deepEqual(s.takeReleased(), []);
      now = entered + HOLD;
      assert.deepEqual(
        s.takeReleased().map((t) => [t.from, t.to, t.detail]),
        [["passing", "failing", "HTTP 500"]],
      );
      assert.equal(s.nextRelease(), undefined);

      // Back to passing within the next hold-down, then failing again before it ends: nothing to do.
      const left = now;
      for (const passed of [true, true]) {
        now += 1000;
        probe(s, "a", passed);
      }
      assert.equal(s.heldUntil("a"), left + HOLD);
      for (const passed of [false, false]) {
        now += 1000;
        probe(s, "a", passed);
      }
      assert.equal(s.heldUntil("a"), undefined, "the verdict is what DNS shows again");
      now = left + HOLD;
      assert.deepEqual(s.takeReleased(), []);
      assert.equal(s.state("a"), "failing");
    });

    it("forgets a stopped container's ports at once, held verdicts included", () => {
      const s = new CheckSchedule(clock, HOLD);
      s.setGroup("c1", [flaky()]);
      probe(s, "a", true);
      now += 1000;
      probe(s, "a", false);
      now += 1000;
      probe(s, "a", false);
      assert.notEqual(s.heldUntil("a"), undefined);
      s.removeGroup("c1");
      assert.equal(s.nextRelease(), undefined);
      assert.deepEqual(s.takeReleased(), []);
    });
  });
});
