// The fleet benchmark's core at a tiny scale, so it does not rot: a few hosts, a few tasks, seconds of fleet
// time, with Route53's limits scaled to the fleet. Outcomes only (the zone ends equal to the truth, nothing is
// lost): the figures are the benchmark's to report, never a test's to assert.
import assert from "node:assert/strict";
import { fleetPlans } from "../../bench/fleet";
import { runScenario } from "../../bench/support/fleetRun";
import { fleetSettings, scaledLimits } from "../../bench/support/fleetSettings";
// For its one side effect: the SDK's notice about future Node.js versions is not this test's output.
import "../kit/awsClients";

describe("fleet benchmark (bench/fleet.ts) at a tiny scale", function () {
  this.timeout(60_000);

  const settings = fleetSettings({
    FLEET_HOSTS: "4",
    FLEET_CONTAINERS: "3",
    FLEET_TASKS: "12",
    FLEET_TIME_SCALE: "4",
    FLEET_COLD_WINDOW_S: "4",
    FLEET_COLD_SETTLE_S: "40",
    FLEET_DEPLOY_WINDOW_S: "8",
    FLEET_DEPLOY_SETTLE_S: "40",
    FLEET_CHURN_WINDOW_S: "8",
    FLEET_CHURN_SETTLE_S: "40",
    FLEET_CHURN_PER_MINUTE: "30",
  });
  // A tiny fleet's share of Route53's rate would be a fraction of a request a second: give it the whole
  // account's, so that the scenarios settle in seconds.
  const limits = scaledLimits({ ...settings, fleetScale: 1 });

  for (const [plan, writer] of fleetPlans(settings).flatMap((p) =>
    (["coalescer", "direct"] as const).map((w) => [p, w] as const),
  )) {
    it(`${plan.name}, ${writer}: the zone ends equal to the truth and nothing is lost`, async () => {
      const r = await runScenario(plan, {
        limits,
        writer,
        timeScale: settings.timeScale,
        stopEventsAfterFirst: 3,
        otherToolRps: 1,
      });
      assert.equal(r.zone.equalAtEnd, true, JSON.stringify(r.zone));
      assert.equal(r.zone.missingAtEnd, 0);
      assert.equal(r.zone.extraAtEnd, 0);
      assert.equal(r.zone.lostMissing + r.zone.lostExtra, 0);
      assert.equal(r.registrar.deadLettered, 0);
      assert.equal(r.agents.failedToStart, 0);
      // Every start and stop was seen by the zone (none left unfollowed), and the other tool was metered.
      for (const l of Object.values(r.latency)) assert.equal(l.notFollowed, 0);
      assert.ok((r.route53.otherTool?.requests ?? 0) > 0);
    });
  }
});
