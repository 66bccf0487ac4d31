// The reconciler's settings codec: what the Pulumi program and the local stack write is what it reads.
import { strict as assert } from "node:assert";
import {
  CONFIG_DEFAULTS,
  configFromEnv,
  RECONCILER_SETTINGS,
  type ReconcilerConfig,
  reconcilerConfig,
  reconcilerEnvironment,
} from "../../reconciler/config";
import { roundTripCases } from "../settings/roundTrip";

describe("reconciler settings codec", () => {
  roundTripCases<ReconcilerConfig>({
    table: RECONCILER_SETTINGS,
    read: configFromEnv,
    write: reconcilerEnvironment,
    valid: (c) => c.inventory !== "docker" || c.hostId !== undefined,
  });

  it("writes the defaults it reads, so an environment of defaults means the defaults", () => {
    assert.deepEqual(configFromEnv(reconcilerEnvironment(CONFIG_DEFAULTS)), reconcilerConfig());
    assert.deepEqual(reconcilerEnvironment(reconcilerConfig()), {
      ECSSD_ZONE_NAME: "servicediscovery.internal",
      ECSSD_CHECK_HEALTH: "true",
      ECSSD_HEALTH_PATH: "/health",
      ECSSD_HEALTH_TIMEOUT_MS: "2000",
      ECSSD_HEALTH_CONCURRENCY: "64",
      ECSSD_HEALTH_ATTEMPTS: "3",
      ECSSD_STOP_UNHEALTHY_TASKS: "false",
      ECSSD_DRY_RUN: "false",
      ECSSD_MAX_DELETE_SHARE: "0.5",
      ECSSD_INVENTORY: "ecs",
      ECSSD_SERVICE_OWNERS_CLOSED: "false",
      ECSSD_CLAIM_UNATTRIBUTED: "false",
      ECSSD_EMF: "on",
    });
  });

  it("writes a tiny safety-valve share without an exponent, which the reader would refuse", () => {
    assert.equal(reconcilerEnvironment({ maxDeleteShare: 1e-7 }).ECSSD_MAX_DELETE_SHARE, "0.0000001");
    assert.equal(configFromEnv(reconcilerEnvironment({ maxDeleteShare: 1.5e-9 })).maxDeleteShare, 1.5e-9);
  });

  it("refuses to write a value the reconciler would refuse", () => {
    assert.throws(
      () => reconcilerEnvironment({ healthConcurrency: 1025 }),
      /1025 is not an integer from 1 to 1024/,
    );
    assert.throws(() => reconcilerEnvironment({ healthPath: "health" }), /\[ECSSD_HEALTH_PATH\]/);
    assert.throws(() => reconcilerEnvironment({ clusters: ["a,b"] }), /invalid cluster name "a,b"/);
  });
});
