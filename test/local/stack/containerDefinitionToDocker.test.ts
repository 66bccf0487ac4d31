// The translation from an ECS container definition to Docker's create options, field by field.
import { strict as assert } from "node:assert";
import type { ContainerCreateOptions } from "dockerode";
import type { ContainerDefinition } from "../../../infra/containerDefinitions";
import {
  ContainerDefinitionError,
  containerDefinitionToDocker,
  type LocalPlatform,
} from "../../../local/stack/containerDefinitionToDocker";

const BASE: ContainerDefinition = {
  name: "calc",
  image: "ecssd/calc:local",
  essential: true,
  cpu: 128,
  memory: 256,
  environment: [{ name: "SERVICE_8081_NAME", value: "_calc._tcp" }],
  logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "g" } },
};
const PLATFORM: LocalPlatform = { name: "ecssd-t-calc-1", secretValues: {} };
const MIB = 1024 * 1024;

/** The options every case shares, with `over` merged in (HostConfig merged one level deep). */
function expected(over: Partial<ContainerCreateOptions>): ContainerCreateOptions {
  const { HostConfig, ...rest } = over;
  return {
    name: "ecssd-t-calc-1",
    Image: "ecssd/calc:local",
    Env: ["SERVICE_8081_NAME=_calc._tcp"],
    Labels: {},
    ...rest,
    HostConfig: { NetworkMode: "bridge", CpuShares: 128, Memory: 256 * MIB, ...HostConfig },
  };
}

describe("local stack: containerDefinitionToDocker", () => {
  const cases: [
    what: string,
    definition: Partial<ContainerDefinition>,
    platform: Partial<LocalPlatform>,
    options: ContainerCreateOptions,
  ][] = [
    ["environment, cpu units as shares, MiB as bytes; no log driver", {}, {}, expected({})],
    [
      "a dynamic host port (ECS hostPort 0) becomes an ephemeral Docker port on loopback",
      { portMappings: [{ containerPort: 8081, hostPort: 0, protocol: "tcp" }] },
      {},
      expected({
        ExposedPorts: { "8081/tcp": {} },
        HostConfig: { PortBindings: { "8081/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
      }),
    ],
    [
      "a fixed host port stays fixed, on the address asked for",
      { portMappings: [{ containerPort: 8081, hostPort: 18081, protocol: "tcp" }] },
      { hostIp: "0.0.0.0" },
      expected({
        ExposedPorts: { "8081/tcp": {} },
        HostConfig: { PortBindings: { "8081/tcp": [{ HostIp: "0.0.0.0", HostPort: "18081" }] } },
      }),
    ],
    [
      "host network mode publishes nothing",
      { portMappings: [{ containerPort: 8000, hostPort: 0, protocol: "tcp" }] },
      { networkMode: "host" },
      expected({ ExposedPorts: { "8000/tcp": {} }, HostConfig: { NetworkMode: "host" } }),
    ],
    [
      "the health check's seconds become nanoseconds",
      {
        healthCheck: {
          command: ["CMD", "node", "-e", "0"],
          interval: 10,
          timeout: 5,
          retries: 3,
          startPeriod: 10,
        },
      },
      {},
      expected({
        Healthcheck: {
          Test: ["CMD", "node", "-e", "0"],
          Interval: 10_000_000_000,
          Timeout: 5_000_000_000,
          Retries: 3,
          StartPeriod: 10_000_000_000,
        },
      }),
    ],
    [
      "stopTimeout is StopTimeout, user is User",
      { stopTimeout: 30, user: "1000" },
      {},
      expected({ StopTimeout: 30, User: "1000" }),
    ],
    [
      "memoryReservation is MemoryReservation in bytes",
      { memoryReservation: 96 },
      {},
      expected({ HostConfig: { MemoryReservation: 96 * MIB } }),
    ],
    [
      "secrets become variables with the values given; the platform adds its variables after them",
      {
        secrets: [
          { name: "AUTH_USERNAME", valueFrom: "arn:aws:ssm:::parameter/u" },
          { name: "AUTH_PASSWORD", valueFrom: "arn:aws:ssm:::parameter/p" },
        ],
      },
      { secretValues: { AUTH_PASSWORD: "pw", AUTH_USERNAME: "admin" }, environment: { HOST_ID: "local" } },
      expected({
        Env: ["SERVICE_8081_NAME=_calc._tcp", "AUTH_USERNAME=admin", "AUTH_PASSWORD=pw", "HOST_ID=local"],
      }),
    ],
    [
      "dockerLabels are Labels, with the platform's added",
      { dockerLabels: { "com.example.team": "ops" } },
      { labels: { "ecssd.stack": "t" } },
      expected({ Labels: { "com.example.team": "ops", "ecssd.stack": "t" } }),
    ],
  ];
  for (const [what, definition, platform, options] of cases) {
    it(what, () => {
      assert.deepEqual(
        containerDefinitionToDocker({ ...BASE, ...definition }, { ...PLATFORM, ...platform }),
        options,
      );
    });
  }

  it("refuses what it cannot carry over, naming every field at once", () => {
    assert.throws(
      () =>
        containerDefinitionToDocker(
          {
            ...BASE,
            secrets: [{ name: "AUTH_PASSWORD", valueFrom: "arn" }],
            dockerLabels: { "ecssd.stack": "prod" },
            portMappings: [{ containerPort: 8000, hostPort: 80, protocol: "tcp" }],
            mountPoints: [
              { sourceVolume: "docker-socket", containerPath: "/var/run/docker.sock", readOnly: false },
            ],
          },
          {
            ...PLATFORM,
            networkMode: "host",
            environment: { SERVICE_8081_NAME: "_other._tcp" },
            labels: { "ecssd.stack": "t" },
          },
        ),
      (err: Error) => {
        assert.ok(err instanceof ContainerDefinitionError);
        assert.equal(
          err.message,
          [
            "Cannot run container calc locally:",
            " - [secrets] no value for AUTH_PASSWORD",
            " - [environment] the platform may not override SERVICE_8081_NAME",
            " - [dockerLabels] the platform may not override ecssd.stack",
            " - [mountPoints] volumes are not translated; run this container elsewhere",
            " - [portMappings] host mode cannot map 8000/tcp to host port 80",
          ].join("\n"),
        );
        return true;
      },
    );
  });
});
