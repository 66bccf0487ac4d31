// configFromEnv: defaults, every variable read, and every problem named at once.
import assert from "node:assert/strict";
import { CONFIG_DEFAULTS, configFromEnv, ReconcilerConfigError } from "../../reconciler";
import { reconcilerEnvironment } from "../../reconciler/config";

describe("reconciler configuration from the environment", () => {
  it("takes the documented defaults when nothing is set", () => {
    const c = configFromEnv({});
    assert.deepEqual(c, {
      zoneName: "servicediscovery.internal",
      clusters: [],
      checkHealth: true,
      healthPath: "/health",
      healthTimeoutMs: 2_000,
      healthConcurrency: 64,
      healthAttempts: 3,
      stopUnhealthyTasks: false,
      dryRun: false,
      maxDeleteShare: 0.5,
      inventory: "ecs",
      serviceOwnersClosed: false,
      claimUnattributed: false,
      emf: true,
    });
    assert.equal(CONFIG_DEFAULTS.maxDeleteShare, 0.5);
  });

  it("reads every setting", () => {
    const c = configFromEnv({
      ECSSD_ZONE_NAME: "Sd.Example.Internal.",
      ECSSD_ZONE_ID: "/hostedzone/Z0123456789ABC",
      ECSSD_CLUSTERS: " web, arn:aws:ecs:eu-west-1:123456789012:cluster/batch ,,web",
      ECSSD_CHECK_HEALTH: "false",
      ECSSD_HEALTH_PATH: "/ready?deep=1",
      ECSSD_HEALTH_TIMEOUT_MS: "750",
      ECSSD_HEALTH_CONCURRENCY: "128",
      ECSSD_HEALTH_ATTEMPTS: "1",
      ECSSD_STOP_UNHEALTHY_TASKS: "yes",
      ECSSD_DRY_RUN: "TRUE",
      ECSSD_MAX_DELETE_SHARE: "0.25",
      ECSSD_ROUTE53_ENDPOINT: "http://127.0.0.1:4000",
      ECSSD_ECS_ENDPOINT: "http://127.0.0.1:5000",
      ECSSD_INVENTORY: "docker",
      ECSSD_HOST_ID: "laptop-1",
      ECSSD_SERVICE_OWNERS: '{"_calc._tcp":["calc"]}',
      ECSSD_SERVICE_OWNERS_CLOSED: "yes",
      ECSSD_DEPLOYMENT: "shop-prod",
      ECSSD_CLAIM_UNATTRIBUTED: "true",
      ECSSD_EMF: "Off",
    });
    assert.deepEqual(c, {
      zoneName: "sd.example.internal",
      zoneId: "Z0123456789ABC",
      clusters: ["web", "arn:aws:ecs:eu-west-1:123456789012:cluster/batch"],
      checkHealth: false,
      healthPath: "/ready?deep=1",
      healthTimeoutMs: 750,
      healthConcurrency: 128,
      healthAttempts: 1,
      stopUnhealthyTasks: true,
      dryRun: true,
      maxDeleteShare: 0.25,
      route53Endpoint: "http://127.0.0.1:4000",
      ecsEndpoint: "http://127.0.0.1:5000",
      inventory: "docker",
      hostId: "laptop-1",
      serviceOwners: new Map([["_calc._tcp", new Set(["calc"])]]),
      serviceOwnersClosed: true,
      deployment: "shop-prod",
      claimUnattributed: true,
      emf: false,
    });
  });

  it("refuses a deployment mark that would not fit a SetIdentifier, naming the rule", () => {
    assert.throws(
      () => configFromEnv({ ECSSD_DEPLOYMENT: "Production-Cluster" }),
      /\[ECSSD_DEPLOYMENT\] deployment "Production-Cluster" must be 1 to 10 characters/,
    );
  });

  it("reads ECSSD_SERVICE_OWNERS as the agent does, and names what is wrong with it", () => {
    const c = configFromEnv({ ECSSD_SERVICE_OWNERS: '{"_calc._tcp":["calc","calc-canary"]}' });
    assert.deepEqual([...(c.serviceOwners?.get("_calc._tcp") ?? [])], ["calc", "calc-canary"]);
    assert.throws(
      () => configFromEnv({ ECSSD_SERVICE_OWNERS: '{"calc":["calc"]}', ECSSD_MAX_DELETE_SHARE: "2" }),
      (err: Error) =>
        /\[ECSSD_SERVICE_OWNERS\].*not a service name/.test(err.message) &&
        /ECSSD_MAX_DELETE_SHARE/.test(err.message),
    );
  });

  it("refuses a closed namespace that lists no name, in the reader and the writer", () => {
    for (const env of [
      { ECSSD_SERVICE_OWNERS_CLOSED: "true" },
      { ECSSD_SERVICE_OWNERS_CLOSED: "true", ECSSD_SERVICE_OWNERS: "{}" },
    ]) {
      assert.throws(
        () => configFromEnv(env),
        /\[ECSSD_SERVICE_OWNERS_CLOSED\] needs ECSSD_SERVICE_OWNERS to list at least one name/,
      );
    }
    assert.throws(
      () => reconcilerEnvironment({ serviceOwnersClosed: true }),
      /cannot write \[ECSSD_SERVICE_OWNERS_CLOSED\]/,
    );
  });

  it("names every problem at once, each with its variable", () => {
    let error: unknown;
    try {
      configFromEnv({
        ECSSD_ZONE_NAME: "not a zone",
        ECSSD_ZONE_ID: "Z/../1",
        ECSSD_CLUSTERS: "good,bad name",
        ECSSD_CHECK_HEALTH: "maybe",
        ECSSD_HEALTH_PATH: "health check",
        ECSSD_HEALTH_TIMEOUT_MS: "2s",
        ECSSD_HEALTH_CONCURRENCY: "0",
        ECSSD_HEALTH_ATTEMPTS: "11",
        ECSSD_STOP_UNHEALTHY_TASKS: "2",
        ECSSD_DRY_RUN: "dry",
        ECSSD_MAX_DELETE_SHARE: "1.5",
        ECSSD_ROUTE53_ENDPOINT: "localhost:4000",
        ECSSD_ECS_ENDPOINT: "ftp://127.0.0.1",
        ECSSD_INVENTORY: "kubernetes",
        ECSSD_HOST_ID: "Not_A_Label",
      });
    } catch (err) {
      error = err;
    }
    assert.ok(error instanceof ReconcilerConfigError);
    assert.equal(error.problems.length, 15);
    assert.match(error.message, /^Invalid reconciler config:\n - \[ECSSD_ZONE_NAME\] /);
    assert.match(
      error.message,
      /\n - \[ECSSD_HEALTH_TIMEOUT_MS\] must be an integer from 1 to 60000, not "2s"/,
    );
    assert.match(error.message, /\n - \[ECSSD_MAX_DELETE_SHARE\] must be a number from 0 to 1/);
    for (const name of [
      "ECSSD_ZONE_ID",
      "ECSSD_CLUSTERS",
      "ECSSD_CHECK_HEALTH",
      "ECSSD_HEALTH_PATH",
      "ECSSD_HEALTH_CONCURRENCY",
      "ECSSD_HEALTH_ATTEMPTS",
      "ECSSD_STOP_UNHEALTHY_TASKS",
      "ECSSD_DRY_RUN",
      "ECSSD_ROUTE53_ENDPOINT",
      "ECSSD_ECS_ENDPOINT",
      "ECSSD_INVENTORY",
      "ECSSD_HOST_ID",
    ]) {
      assert.ok(error.message.includes(`[${name}]`), `${name} is named`);
    }
  });

  it("needs a host id for the docker inventory", () => {
    assert.throws(
      () => configFromEnv({ ECSSD_INVENTORY: "docker" }),
      /\[ECSSD_HOST_ID\] must be set when ECSSD_INVENTORY=docker/,
    );
  });
});
