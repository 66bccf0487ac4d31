import assert from "node:assert/strict";
import { AgentConfigError, agentEnvironment, loadAgentConfig } from "../../agent/config";

describe("agent config", () => {
  it("has defaults for everything but identity and zone id", () => {
    assert.deepEqual(loadAgentConfig({}), {
      zoneName: "servicediscovery.internal",
      srvTtl: 10,
      routing: "multivalue",
      resyncSeconds: 60,
      flushMs: 75,
      ecsAgentUrl: "http://localhost:51678",
      serviceOwnersClosed: false,
      maxPortsPerContainer: 16,
      dnsHoldDownSeconds: 10,
      emf: true,
    });
  });

  it("reads the environment and lets flags win", () => {
    const c = loadAgentConfig(
      {
        ECSSD_ZONE_NAME: "Example.Internal.",
        ECSSD_HOST_ID: "host-a",
        ECSSD_HOST_IP: "127.0.0.1",
        ECSSD_ZONE_ID: "/hostedzone/Z123",
        ECSSD_SRV_TTL: "30",
        ECSSD_ROUTING: "weighted",
        ECSSD_METRICS_PORT: "0",
      },
      { srvTtl: "5", route53Endpoint: "http://127.0.0.1:4000" },
    );
    assert.equal(c.zoneName, "example.internal");
    assert.equal(c.zoneId, "Z123");
    assert.equal(c.srvTtl, 5);
    assert.equal(c.routing, "weighted");
    assert.equal(c.metricsPort, 0);
    assert.equal(c.route53Endpoint, "http://127.0.0.1:4000");
  });

  it("names every bad key at once", () => {
    assert.throws(
      () =>
        loadAgentConfig({
          ECSSD_ZONE_NAME: "nodots",
          ECSSD_HOST_ID: "Host_A",
          ECSSD_HOST_IP: "10.0.0.256",
          ECSSD_SRV_TTL: "-1",
          ECSSD_ROUTING: "latency",
          ECSSD_METRICS_PORT: "70000",
          ECSSD_RESYNC_SECONDS: "0",
          ECSSD_FLUSH_MS: "abc",
          ECSSD_ROUTE53_ENDPOINT: "ftp://x",
          ECSSD_ZONE_ID: "Z/../1",
          ECSSD_SERVICE_OWNERS: '{"_calc._tcp":"calc"}',
        }),
      (err: unknown) => {
        assert.ok(err instanceof AgentConfigError);
        for (const key of [
          "ECSSD_ZONE_NAME",
          "ECSSD_HOST_ID",
          "ECSSD_HOST_IP",
          "ECSSD_SRV_TTL",
          "ECSSD_ROUTING",
          "ECSSD_METRICS_PORT",
          "ECSSD_RESYNC_SECONDS",
          "ECSSD_SERVICE_OWNERS",
          "ECSSD_FLUSH_MS",
          "ECSSD_ROUTE53_ENDPOINT",
          "ECSSD_ZONE_ID",
        ]) {
          assert.match(err.message, new RegExp(`\\[${key}\\]`));
        }
        return true;
      },
    );
  });

  it("reads ECSSD_SERVICE_OWNERS, and leaves every name open without it", () => {
    const c = loadAgentConfig({ ECSSD_SERVICE_OWNERS: '{"_calc._tcp":["calc"]}' });
    assert.deepEqual([...(c.serviceOwners?.get("_calc._tcp") ?? [])], ["calc"]);
    assert.equal(loadAgentConfig({}).serviceOwners, undefined);
    assert.throws(
      () => loadAgentConfig({ ECSSD_SERVICE_OWNERS: "{" }),
      /\[ECSSD_SERVICE_OWNERS\] .*not JSON/,
    );
  });

  it("reads ECSSD_SERVICE_OWNERS_CLOSED (or its flag), and refuses a closed namespace that lists no name", () => {
    const owners = { ECSSD_SERVICE_OWNERS: '{"_calc._tcp":["calc"]}' };
    assert.equal(
      loadAgentConfig({ ...owners, ECSSD_SERVICE_OWNERS_CLOSED: "true" }).serviceOwnersClosed,
      true,
    );
    assert.equal(loadAgentConfig(owners, { serviceOwnersClosed: "yes" }).serviceOwnersClosed, true);
    assert.throws(
      () => loadAgentConfig({ ECSSD_SERVICE_OWNERS_CLOSED: "true" }),
      (err: unknown) =>
        err instanceof AgentConfigError &&
        err.problems.length === 1 &&
        /^\[ECSSD_SERVICE_OWNERS_CLOSED\] needs ECSSD_SERVICE_OWNERS to list at least one name/.test(
          err.problems[0] ?? "",
        ),
    );
    assert.throws(
      () => agentEnvironment({ serviceOwnersClosed: true }),
      /cannot write \[ECSSD_SERVICE_OWNERS_CLOSED\]/,
    );
  });
});
