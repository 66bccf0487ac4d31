// The examples manifest: the one description of time, calc and portal that the services, the Pulumi
// program and the local stack read.
import { strict as assert } from "node:assert";
import { calleeEnvironment, EXAMPLE_NAMES, EXAMPLE_SERVICES, exampleService } from "../../examples/manifest";
import { probeHealth, probePath } from "../../examples/shared/healthProbe";
import { parseServiceDeclarations, serviceDeclarationEnv } from "../../records";
import { closedPort, type HealthEndpoint, startHealthEndpoint } from "../support/healthEndpoint";
import { startServiceProcess } from "./serviceProcess";

describe("examples manifest", () => {
  it("gives every service its own port, and every offer a declaration the agent reads back", () => {
    const ports = EXAMPLE_NAMES.map((n) => exampleService(n).containerPort);
    assert.equal(new Set(ports).size, ports.length);
    for (const name of EXAMPLE_NAMES) {
      const { containerPort, offers } = exampleService(name);
      if (offers === undefined) continue;
      const env = serviceDeclarationEnv({ containerPort, srvName: offers });
      const read = parseServiceDeclarations([], env);
      assert.deepEqual(
        read.services.map((s) => [s.containerPort, s.srvName]),
        [[containerPort, offers]],
      );
    }
  });

  it("tells the portal where time and calc are, in the zone it is given", () => {
    assert.deepEqual(calleeEnvironment("portal", "sd.example.internal"), {
      TIME_SERVICE: "_time._tcp.sd.example.internal",
      CALC_SERVICE: "_calc._tcp.sd.example.internal",
    });
    assert.deepEqual(calleeEnvironment("calc", "sd.example.internal"), {});
  });

  it("lists callees before their callers, and every callee offers an SRV name", () => {
    for (const [i, name] of EXAMPLE_NAMES.entries()) {
      for (const callee of exampleService(name).calls) {
        assert.ok(EXAMPLE_NAMES.indexOf(callee as never) < i, `${name} calls ${callee}`);
        assert.ok(exampleService(callee as never).offers, callee);
      }
    }
  });

  it("a service started without PORT listens on its manifest port", async function () {
    this.timeout(30_000);
    const svc = await startServiceProcess("calc", {
      PORT: "",
      AUTH_USERNAME: "admin",
      AUTH_PASSWORD: "password",
      DRAIN_MS: "0",
    });
    try {
      assert.equal(svc.port, EXAMPLE_SERVICES.calc.containerPort);
    } finally {
      await svc.kill();
    }
  });
});

describe("examples health probe (the images' HEALTHCHECK)", () => {
  let endpoint: HealthEndpoint;
  before(async () => {
    endpoint = await startHealthEndpoint();
  });
  after(() => endpoint.close());

  it("reads the path after --probe, and only a path", () => {
    assert.equal(probePath(["node", "/app/main.js"]), undefined);
    assert.equal(probePath(["node", "/app/main.js", "--probe", "/health"]), "/health");
    assert.equal(probePath(["node", "/app/main.js", "--probe", "http://elsewhere/"]), "/");
    assert.equal(probePath(["node", "/app/main.js", "--probe"]), "/");
  });

  it("passes on 200, fails on 503 (draining), on another path and when nothing listens", async () => {
    endpoint.status = 200;
    assert.equal(await probeHealth(endpoint.port, "/health"), 0);
    assert.equal(await probeHealth(endpoint.port, "/other"), 1);
    endpoint.status = 503;
    assert.equal(await probeHealth(endpoint.port, "/health"), 1);
    assert.equal(await probeHealth(await closedPort(), "/health"), 1);
  });
});
