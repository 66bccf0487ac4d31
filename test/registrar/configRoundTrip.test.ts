// The registrar's settings codec, and what it shares with the agent and the reconciler.
import { strict as assert } from "node:assert";
import { AGENT_SETTINGS } from "../../agent/config";
import { RECONCILER_SETTINGS } from "../../reconciler/config";
import {
  REGISTRAR_SETTINGS,
  type RegistrarConfig,
  RegistrarConfigError,
  registrarConfigFromEnv,
  registrarEnvironment,
} from "../../registrar/config";
import { roundTripCases } from "../settings/roundTrip";

describe("registrar settings codec", () => {
  roundTripCases<RegistrarConfig>({
    table: REGISTRAR_SETTINGS,
    read: registrarConfigFromEnv,
    write: registrarEnvironment,
  });

  it("reads the zone, clusters and endpoints as the reconciler does, and record settings as the agent does", () => {
    const env = {
      ECSSD_ZONE_NAME: "Sd.Example.Internal.",
      ECSSD_ZONE_ID: "/hostedzone/Z0123",
      ECSSD_CLUSTERS: "apps, apps,batch",
      ECSSD_ROUTE53_ENDPOINT: "http://127.0.0.1:5380",
      ECSSD_ECS_ENDPOINT: "http://127.0.0.1:5000",
      ECSSD_SRV_TTL: "30",
      ECSSD_ROUTING: "weighted",
    };
    const config = registrarConfigFromEnv(env);
    assert.deepEqual(config, {
      zoneName: "sd.example.internal",
      zoneId: "Z0123",
      clusters: ["apps", "batch"],
      route53Endpoint: "http://127.0.0.1:5380",
      ecsEndpoint: "http://127.0.0.1:5000",
      srvTtl: 30,
      routing: "weighted",
      serviceOwnersClosed: false,
      maxPortsPerContainer: 16,
      emf: true,
    });
    for (const [key, setting] of Object.entries(REGISTRAR_SETTINGS)) {
      // Its one setting of its own: the AZ IDs of tasks' AZ names (the agent asks its host's metadata instead).
      if (key === "azIds") continue;
      const same =
        (RECONCILER_SETTINGS as Record<string, unknown>)[key] ??
        (AGENT_SETTINGS as Record<string, unknown>)[key];
      assert.ok(same, `${key} is a setting of the reconciler or the agent`);
      assert.equal((same as { env: string }).env, setting.env);
    }
  });

  it("reads a closed namespace as the agent does, and refuses one that lists no name", () => {
    const owners = { ECSSD_SERVICE_OWNERS: '{"_calc._tcp":["calc"]}' };
    assert.equal(
      registrarConfigFromEnv({ ...owners, ECSSD_SERVICE_OWNERS_CLOSED: "true" }).serviceOwnersClosed,
      true,
    );
    assert.throws(
      () => registrarConfigFromEnv({ ECSSD_SERVICE_OWNERS_CLOSED: "true" }),
      /\[ECSSD_SERVICE_OWNERS_CLOSED\] needs ECSSD_SERVICE_OWNERS to list at least one name/,
    );
    assert.throws(
      () => registrarEnvironment({ serviceOwnersClosed: true }),
      /cannot write \[ECSSD_SERVICE_OWNERS_CLOSED\]/,
    );
  });

  it("refuses an ECSSD_AZ_IDS of separators only, which would turn the AZ sets off unseen", () => {
    for (const text of [",", " , ,"])
      assert.throws(
        () => registrarConfigFromEnv({ ECSSD_AZ_IDS: text }),
        /\[ECSSD_AZ_IDS\] .*no <AZ name>=<AZ ID> pair, such as us-east-1a=use1-az4 \(unset it to ask EC2\)/,
        JSON.stringify(text),
      );
    assert.equal(registrarConfigFromEnv({ ECSSD_AZ_IDS: "us-east-1a=use1-az4," }).azIds?.size, 1);
  });

  it("names every bad setting at once, in its own error", () => {
    assert.throws(
      () =>
        registrarConfigFromEnv({
          ECSSD_ZONE_NAME: "nodots",
          ECSSD_ZONE_ID: "Z/../1",
          ECSSD_CLUSTERS: "bad name",
          ECSSD_ECS_ENDPOINT: "ftp://x",
          ECSSD_SRV_TTL: "ten",
          ECSSD_ROUTING: "latency",
          ECSSD_SERVICE_OWNERS: "{",
        }),
      (err: unknown) => {
        assert.ok(err instanceof RegistrarConfigError);
        assert.match(err.message, /^Invalid registrar config:\n - \[ECSSD_ZONE_NAME\] /);
        assert.equal(err.problems.length, 7);
        return true;
      },
    );
  });
});
