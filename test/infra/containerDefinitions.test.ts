import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { loadAgentConfig } from "../../agent/config";
import {
  agentContainer,
  type ContainerDefinition,
  exampleContainer,
  stopTimeoutFor,
} from "../../infra/containerDefinitions";
import { closedPort, type HealthEndpoint, startHealthEndpoint } from "../support/healthEndpoint";

const run = promisify(execFile);
const LOG = { logGroupName: "ecssd-logs", region: "eu-west-1" };
const CREDENTIALS = {
  usernameArn: "arn:aws:ssm:eu-west-1:123456789012:parameter/ecssd/dev/examples/username",
  passwordArn: "arn:aws:ssm:eu-west-1:123456789012:parameter/ecssd/dev/examples/password",
};
const envOf = (c: ContainerDefinition) => Object.fromEntries(c.environment.map((e) => [e.name, e.value]));

describe("container definitions", () => {
  describe("agentContainer", () => {
    const agent = agentContainer({
      image: "repo/agent@sha256:ab",
      zoneName: "sd.internal",
      zoneId: "Z0ABC",
      srvTtl: 15,
      log: LOG,
    });

    it("mounts the Docker socket and passes the zone and TTL", () => {
      assert.deepEqual(agent.mountPoints, [
        { sourceVolume: "docker-socket", containerPath: "/var/run/docker.sock", readOnly: false },
      ]);
      assert.deepEqual(envOf(agent), {
        ECSSD_ZONE_NAME: "sd.internal",
        ECSSD_ZONE_ID: "Z0ABC",
        ECSSD_SRV_TTL: "15",
      });
      assert.equal(agent.logConfiguration.options["awslogs-group"], "ecssd-logs");
    });

    it("is an environment the agent itself accepts", () => {
      const config = loadAgentConfig(envOf(agent));
      assert.equal(config.zoneName, "sd.internal");
      assert.equal(config.zoneId, "Z0ABC");
      assert.equal(config.srvTtl, 15);
    });

    for (const srvTtl of [1, 3600]) {
      it(`passes srvTtl=${srvTtl}, an end of the stack config's range, that the agent accepts`, () => {
        const c = agentContainer({ image: "i", zoneName: "sd.internal", zoneId: "Z0ABC", srvTtl, log: LOG });
        assert.equal(loadAgentConfig(envOf(c)).srvTtl, srvTtl);
      });
    }
  });

  describe("exampleContainer", () => {
    const spec = {
      name: "calc",
      image: "repo/calc@sha256:cd",
      containerPort: 8081,
      offers: "_calc._tcp",
      healthPath: "/health",
      credentials: CREDENTIALS,
      stopTimeout: 30,
      log: LOG,
    };

    it("offers its SRV name on a dynamic host port and takes credentials as secrets", () => {
      const calc = exampleContainer(spec);
      assert.deepEqual(calc.portMappings, [{ containerPort: 8081, hostPort: 0, protocol: "tcp" }]);
      assert.deepEqual(envOf(calc), { SERVICE_8081_NAME: "_calc._tcp" });
      assert.deepEqual(calc.secrets, [
        { name: "AUTH_USERNAME", valueFrom: CREDENTIALS.usernameArn },
        { name: "AUTH_PASSWORD", valueFrom: CREDENTIALS.passwordArn },
      ]);
    });

    it("refuses credentials as plain environment", () => {
      for (const name of ["AUTH_USERNAME", "AUTH_PASSWORD"]) {
        assert.throws(() => exampleContainer({ ...spec, environment: { [name]: "x" } }), /must be a secret/);
      }
    });

    it("refuses an offer that is not _service._proto", () => {
      for (const offers of ["calc", "_calc._sctp", "_Calc._tcp", "_calc._tcp.zone"]) {
        assert.throws(() => exampleContainer({ ...spec, offers }), /is not of the form/, offers);
      }
    });

    it("has no health check and no offer for a consumer", () => {
      const portal = exampleContainer({
        ...spec,
        name: "portal",
        containerPort: 8000,
        offers: undefined,
        healthPath: undefined,
      });
      assert.equal(portal.healthCheck, undefined);
      assert.deepEqual(envOf(portal), {});
    });

    describe("health check command (run with this machine's node, as the image would)", () => {
      let endpoint: HealthEndpoint;
      before(async () => {
        endpoint = await startHealthEndpoint();
      });
      after(() => endpoint.close());

      const probe = async (containerPort: number): Promise<number> => {
        const command = exampleContainer({ ...spec, containerPort }).healthCheck?.command ?? [];
        assert.deepEqual(command.slice(0, 3), ["CMD", "node", "-e"]);
        try {
          await run(process.execPath, command.slice(2), { timeout: 10_000 });
          return 0;
        } catch (err) {
          return (err as { code?: number }).code ?? -1;
        }
      };

      it("passes on 200", async () => {
        endpoint.status = 200;
        assert.equal(await probe(endpoint.port), 0);
      });
      it("fails on 503 (a draining service)", async () => {
        endpoint.status = 503;
        assert.equal(await probe(endpoint.port), 1);
      });
      it("fails when nothing listens", async () => {
        assert.equal(await probe(await closedPort()), 1);
      });
    });
  });

  describe("stopTimeoutFor", () => {
    const cases: [srvTtl: number, seconds: number][] = [
      [1, 30],
      [10, 30],
      [60, 80],
      [100, 120],
      [3600, 120],
    ];
    for (const [srvTtl, seconds] of cases) {
      it(`gives ${seconds}s for an SRV TTL of ${srvTtl}s`, () =>
        assert.equal(stopTimeoutFor(srvTtl), seconds));
    }
  });
});
