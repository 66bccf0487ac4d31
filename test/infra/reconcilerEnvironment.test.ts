import { strict as assert } from "node:assert";
import { type ReconcilerSettings, reconcilerEnvironment } from "../../infra/reconciler";
import { configFromEnv } from "../../reconciler/config";

const SETTINGS: ReconcilerSettings = {
  zoneName: "servicediscovery.internal",
  zoneId: "Z0123456789ABCDEFGHIJ",
  clusters: ["ecssd-cluster-1"],
  checkHealth: true,
  healthPath: "/health",
  healthTimeoutMs: 2000,
  healthConcurrency: 20,
  stopUnhealthyTasks: false,
  dryRun: false,
  maxDeleteShare: 0.5,
};

describe("reconcilerEnvironment", () => {
  it("is an environment the reconciler itself accepts, with the same meaning", () => {
    const config = configFromEnv(reconcilerEnvironment(SETTINGS));
    assert.equal(config.zoneName, "servicediscovery.internal");
    assert.equal(config.zoneId, "Z0123456789ABCDEFGHIJ");
    assert.deepEqual(config.clusters, ["ecssd-cluster-1"]);
    assert.equal(config.checkHealth, true);
    assert.equal(config.healthPath, "/health");
    assert.equal(config.healthTimeoutMs, 2000);
    assert.equal(config.healthConcurrency, 20);
    assert.equal(config.stopUnhealthyTasks, false);
    assert.equal(config.dryRun, false);
    assert.equal(config.maxDeleteShare, 0.5);
    assert.equal(config.inventory, "ecs");
  });

  // The ends of the stack config's ranges must be values the reconciler accepts too.
  const ends: Partial<ReconcilerSettings>[] = [
    { healthTimeoutMs: 100, healthConcurrency: 1, maxDeleteShare: 0.01 },
    { healthTimeoutMs: 30_000, healthConcurrency: 500, maxDeleteShare: 1 },
    { checkHealth: false, stopUnhealthyTasks: true, dryRun: true, healthPath: "/healthz?deep=1" },
  ];
  for (const overrides of ends) {
    it(`passes ${JSON.stringify(overrides)} through unchanged`, () => {
      const config = configFromEnv(reconcilerEnvironment({ ...SETTINGS, ...overrides }));
      for (const [key, value] of Object.entries(overrides)) {
        assert.deepEqual(config[key as keyof typeof config], value, key);
      }
    });
  }

  it("refuses a cluster name that would break the comma list", () => {
    assert.throws(
      () => reconcilerEnvironment({ ...SETTINGS, clusters: ["a,b"] }),
      /invalid cluster name "a,b"/,
    );
  });
});
