// What the local stack runs is what `pulumi up` deploys: for every example service, the container
// definition the Pulumi program puts in its task definition (run under Pulumi's mocks) against the
// Docker create options the local stack starts that service with, field by field.
import { strict as assert } from "node:assert";
import type { ContainerCreateOptions } from "dockerode";
import { agentEnvironment } from "../../../agent/config";
import { EXAMPLE_NAMES, type ExampleName, exampleService } from "../../../examples/manifest";
import type { ContainerDefinition } from "../../../infra/containerDefinitions";
import { stackOwnership } from "../../../local/stack/stack";
import { localDefinition, localExampleContainer } from "../../../local/stack/stackServices";
import { DEFAULT_ZONE } from "../../../records/zone";
import type { ProgramMocks } from "../../infra/support/programMocks";
import { runProgram } from "../../infra/support/runProgram";

const STACK = "parity";
const LOCAL = {
  stackName: STACK,
  zoneName: DEFAULT_ZONE,
  dnsPort: 5300,
  portalPort: 18000,
  username: "admin",
  password: "local-password",
};
const NANOS = 1_000_000_000;
const MIB = 1024 * 1024;

/** What this machine supplies in place of AWS, service by service (the rest must be ECS's). */
const LOCAL_ADDITIONS: Record<ExampleName, Record<string, string>> = {
  time: { HOST_ID: "local" },
  calc: { HOST_ID: "local" },
  // The portal shares the machine's network here, so it listens on loopback only; on a developer's own
  // machine it also shows which instance answered (on AWS it does not).
  portal: {
    HOST_ID: "local",
    PORT: "18000",
    LISTEN_ADDRESS: "127.0.0.1",
    DNS_SERVERS: "127.0.0.1:5300",
    PORTAL_SHOW_UPSTREAM: "true",
  },
};

describe("local stack runs the container definitions the Pulumi program deploys", function () {
  this.timeout(60_000);
  let mocks: ProgramMocks;
  const deployed = (example: ExampleName): ContainerDefinition => {
    const definitions = JSON.parse(
      mocks.named(`ecssd-examples-${example}-task`).inputs.containerDefinitions,
    ) as ContainerDefinition[];
    assert.equal(definitions.length, 1);
    return definitions[0] as ContainerDefinition;
  };
  const local = (example: ExampleName): ContainerCreateOptions =>
    localExampleContainer(example, `ecssd-${STACK}-${example}-1`, {
      ...LOCAL,
      image: `ecssd/${example}:local`,
    }).options;

  before(async () => {
    ({ mocks } = await runProgram({
      "aws:region": "eu-west-1",
      "ecssd:examples": "true",
      "ecssd:examplesPassword": "Ex4mple-Pa55word-x",
    }));
  });

  it("the program deploys exactly the manifest's services", () => {
    const families = mocks
      .ofType("aws:ecs/taskDefinition:TaskDefinition")
      .map((t) => t.name)
      .filter((n) => n.startsWith("ecssd-examples-"));
    const fargate = EXAMPLE_NAMES.filter((e) => exampleService(e).fargateCount).map(
      (e) => `ecssd-examples-${e}-fargate-task`,
    );
    assert.deepEqual(
      families.sort(),
      [...EXAMPLE_NAMES.map((e) => `ecssd-examples-${e}-task`), ...fargate].sort(),
    );
  });

  it("time's Fargate variant: the local awsvpc task runs the very container definition the program deploys", () => {
    const [program] = JSON.parse(
      mocks.named("ecssd-examples-time-fargate-task").inputs.containerDefinitions,
    ) as ContainerDefinition[];
    const here = localDefinition("time", { ...LOCAL, image: "ecssd/time:local" }, "awsvpc");
    // Only what AWS supplies differs: the image's registry, the log group and the SSM parameters' ARNs.
    const strip = (d: ContainerDefinition) => ({
      ...d,
      image: undefined,
      logConfiguration: undefined,
      secrets: d.secrets?.map((x) => x.name),
    });
    assert.deepEqual(strip(here), strip(program as ContainerDefinition));
  });

  for (const example of EXAMPLE_NAMES) {
    describe(example, () => {
      it("environment: ECS's variables, then its secrets with local values, then only what AWS would supply", () => {
        const ecs = deployed(example);
        const secretValues: Record<string, string> = {
          AUTH_USERNAME: "admin",
          AUTH_PASSWORD: "local-password",
        };
        assert.deepEqual(local(example).Env, [
          ...ecs.environment.map((e) => `${e.name}=${e.value}`),
          ...(ecs.secrets ?? []).map((s) => `${s.name}=${secretValues[s.name]}`),
          ...Object.entries(LOCAL_ADDITIONS[example]).map(([k, v]) => `${k}=${v}`),
        ]);
        assert.ok((ecs.secrets ?? []).length > 0, "credentials reach ECS as secrets");
      });

      it("labels: ECS's docker labels plus the stack's own", () => {
        const ecs = deployed(example);
        assert.deepEqual(local(example).Labels, { ...ecs.dockerLabels, "ecssd.stack": STACK });
      });

      it("ports: the container port, on a dynamic host port where ECS uses one", () => {
        const ecs = deployed(example);
        const options = local(example);
        assert.deepEqual(
          Object.keys(options.ExposedPorts ?? {}),
          (ecs.portMappings ?? []).map((m) => `${m.containerPort}/${m.protocol}`),
        );
        if (example === "portal") {
          // The one local difference: the portal stands where the load balancer would, on this
          // machine's network (see local/stack/stackServices.ts), listening on PORT.
          assert.equal(options.HostConfig?.NetworkMode, "host");
          assert.equal(options.HostConfig?.PortBindings, undefined);
          return;
        }
        assert.equal(options.HostConfig?.NetworkMode, "bridge");
        assert.deepEqual(
          options.HostConfig?.PortBindings,
          Object.fromEntries(
            (ecs.portMappings ?? []).map((m) => [
              `${m.containerPort}/${m.protocol}`,
              [{ HostIp: "127.0.0.1", HostPort: m.hostPort === 0 ? "" : String(m.hostPort) }],
            ]),
          ),
        );
        assert.ok((ecs.portMappings ?? []).every((m) => m.hostPort === 0));
      });

      it("health check: the same command and timings", () => {
        const ecs = deployed(example).healthCheck;
        const docker = local(example).Healthcheck;
        if (ecs === undefined) {
          assert.equal(docker, undefined);
          return;
        }
        assert.deepEqual(docker, {
          Test: ecs.command,
          Interval: ecs.interval * NANOS,
          Timeout: ecs.timeout * NANOS,
          Retries: ecs.retries,
          StartPeriod: ecs.startPeriod * NANOS,
        });
      });

      it("stop timeout, user, cpu and memory", () => {
        const ecs = deployed(example);
        const options = local(example);
        assert.equal(options.StopTimeout, ecs.stopTimeout);
        assert.ok(ecs.stopTimeout !== undefined && ecs.stopTimeout >= 30);
        assert.equal(options.User, ecs.user);
        assert.equal(options.HostConfig?.CpuShares, ecs.cpu);
        assert.equal(options.HostConfig?.Memory, ecs.memory * MIB);
      });
    });
  }

  it("time and calc offer their SRV names with a health check; the portal is told where they are", () => {
    const env = (example: ExampleName) =>
      Object.fromEntries(deployed(example).environment.map((e) => [e.name, e.value]));
    // Issue 11: both declare the agent's HTTP check on their health path.
    assert.deepEqual(env("time"), { SERVICE_8080_NAME: "_time._tcp", SERVICE_8080_CHECK_HTTP: "/health" });
    assert.deepEqual(env("calc"), { SERVICE_8081_NAME: "_calc._tcp", SERVICE_8081_CHECK_HTTP: "/health" });
    assert.deepEqual(env("portal"), {
      TIME_SERVICE: `_time._tcp.${DEFAULT_ZONE}`,
      CALC_SERVICE: `_calc._tcp.${DEFAULT_ZONE}`,
    });
    assert.match(JSON.stringify(local("calc").Healthcheck?.Test), /127\.0\.0\.1:8081\/health/);
  });

  it("closes its namespace over the names the examples' families claim, as the examples' stack does", async () => {
    // Last: a fresh run of the program, as Pulumi.dev.yaml configures it, under the mocks' stack name.
    const { mocks: dev } = await runProgram({
      "aws:region": "eu-west-1",
      "ecssd:examples": "true",
      "ecssd:examplesPassword": "Ex4mple-Pa55word-x",
      "ecssd:closedNamespace": "true",
    });
    const [agent] = JSON.parse(
      dev.named("ecssd-agent-task").inputs.containerDefinitions,
    ) as ContainerDefinition[];
    const deployedEnv = Object.fromEntries((agent?.environment ?? []).map((e) => [e.name, e.value]));
    const localEnv = agentEnvironment(stackOwnership("test"));
    assert.equal(localEnv.ECSSD_SERVICE_OWNERS_CLOSED, "true");
    assert.deepEqual(
      JSON.parse(localEnv.ECSSD_SERVICE_OWNERS ?? "{}"),
      JSON.parse(deployedEnv.ECSSD_SERVICE_OWNERS ?? "{}"),
    );
    assert.equal(localEnv.ECSSD_SERVICE_OWNERS_CLOSED, deployedEnv.ECSSD_SERVICE_OWNERS_CLOSED);
  });
});
