// The coalescer's settings codec: what infra/, the local stack and the benches write is what it reads, and a
// bad environment is refused naming every bad variable at once.
import { strict as assert } from "node:assert";
import {
  COALESCER_SETTINGS,
  type CoalescerConfig,
  coalescerConfigFromEnv,
  coalescerEnvironment,
} from "../../coalescer/config";
import { REGISTRAR_SETTINGS } from "../../registrar/config";
import { roundTripCases } from "../settings/roundTrip";

describe("coalescer settings codec", () => {
  roundTripCases<CoalescerConfig>({
    table: COALESCER_SETTINGS,
    read: coalescerConfigFromEnv,
    write: coalescerEnvironment,
  });

  it("has its documented defaults, and reads the registrar's record settings under their names", () => {
    const config = coalescerConfigFromEnv({});
    assert.equal(config.address, "0.0.0.0");
    assert.equal(config.port, 8053);
    assert.deepEqual(config.route53Budget, { requests: 0.4, changes: 0.6 });
    assert.equal(config.windowMs, 250);
    assert.equal(config.relistSeconds, 300);
    assert.equal(config.taskEventsQueueUrl, undefined);
    for (const key of [
      "clusters",
      "srvTtl",
      "routing",
      "serviceOwners",
      "serviceOwnersClosed",
      "deployment",
    ] as const)
      assert.equal(COALESCER_SETTINGS[key].env, REGISTRAR_SETTINGS[key].env, key);
    assert.deepEqual(
      coalescerConfigFromEnv({ ECSSD_ROUTE53_BUDGET: "requests=0.2,changes=0.3", ECSSD_COALESCER_PORT: "0" }),
      { ...config, route53Budget: { requests: 0.2, changes: 0.3 }, port: 0 },
    );
  });

  it("names every bad setting at once", () => {
    assert.throws(
      () =>
        coalescerConfigFromEnv({
          ECSSD_COALESCER_ADDRESS: "everywhere",
          ECSSD_COALESCER_PORT: "70000",
          ECSSD_ROUTE53_BUDGET: "requests=2",
          ECSSD_COALESCER_WINDOW_MS: "10001",
          ECSSD_TASK_EVENTS_QUEUE_URL: "sqs://queue",
          ECSSD_SERVICE_OWNERS_CLOSED: "true",
        }),
      (err: Error) => {
        for (const name of [
          "ECSSD_COALESCER_ADDRESS",
          "ECSSD_COALESCER_PORT",
          "ECSSD_ROUTE53_BUDGET",
          "ECSSD_COALESCER_WINDOW_MS",
          "ECSSD_TASK_EVENTS_QUEUE_URL",
          "ECSSD_SERVICE_OWNERS_CLOSED",
        ])
          assert.match(err.message, new RegExp(`\\[${name}\\]`), name);
        assert.equal(err.name, "CoalescerConfigError");
        return true;
      },
    );
  });

  it("refuses to write a value it would refuse", () => {
    assert.throws(
      () => coalescerEnvironment({ route53Budget: { requests: 0, changes: 0.5 } }),
      /route53Budget/,
    );
    assert.throws(() => coalescerEnvironment({ windowMs: 20_000 }), /20000 is not an integer/);
  });
});
