// Who may claim a service, end to end: the agent with ECSSD_SERVICE_OWNERS on the machine's Docker engine and
// the local zone. A listed name is registered only for containers of an allowed task family (the label ECS
// puts on them); an unlisted name stays open, or, in a closed namespace (ECSSD_SERVICE_OWNERS_CLOSED), is
// refused; an awsvpc task's container is the registrar's, not the agent's.
import assert from "node:assert/strict";
import type { HostAgent } from "../../agent/hostAgent";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { baseImage, DockerCli, RUN_ID } from "../kit/docker";
import { eventually } from "../kit/eventually";
import { type MemoryLog, memoryLog, SERVE_FOREVER, srvPorts, startAgent } from "./agentHarness";

const FAMILY_LABEL = "com.amazonaws.ecs.task-definition-family";
const TASK_ARN_LABEL = "com.amazonaws.ecs.task-arn";
const taskArn = (n: number) =>
  `arn:aws:ecs:us-east-1:123456789012:task/apps/${n.toString(16).padStart(8, "0")}${RUN_ID}00000000000000000000`.slice(
    0,
    79,
  );

/**
 * An agent of its own host on the machine's Docker engine and a local zone of its own, with these owner
 * settings; the owners map alone is under test here (ECS's confirmation of the labels is
 * agentEcsConfirmation's). Its fields are set in the suite's `before`.
 */
function ownersAgent(hostId: string, docker: DockerCli, settings: Record<string, string>) {
  const fixture = {} as { image: string; zone: LocalZone; agent: HostAgent; log: MemoryLog };
  before(async function () {
    this.timeout(300_000);
    fixture.image = await baseImage();
    fixture.zone = await startLocalZone();
    fixture.log = memoryLog();
    fixture.agent = await startAgent(
      fixture.zone,
      hostId,
      { log: fixture.log.logger },
      { ECSSD_METRICS_PORT: "0", ECSSD_ECS_AGENT_URL: "off", ...settings },
    );
  });
  after(async function () {
    this.timeout(120_000);
    await fixture.agent?.stop();
    await docker.removeOurs();
    await fixture.zone?.close();
  });
  return fixture;
}

describe("agent with service owners (ECSSD_SERVICE_OWNERS), Docker and the local zone", function () {
  this.timeout(60_000);
  const docker = new DockerCli();
  const hostId = `own-${RUN_ID}`;
  const owned = `_owned${RUN_ID}._tcp`;
  const open = `_open${RUN_ID}._tcp`;
  const ctx = ownersAgent(hostId, docker, {
    ECSSD_SERVICE_OWNERS: JSON.stringify({ [owned]: ["payments"] }),
  });
  const same = (a: number[], b: number[]) => JSON.stringify(a) === JSON.stringify(b);
  const ports = (s: string) => srvPorts(ctx.zone, s);

  it("registers a listed name only for its owning family, and an unlisted one for anyone", async () => {
    const owner = await docker.runContainer(
      ctx.image,
      [
        "-l",
        `${FAMILY_LABEL}=payments`,
        "-l",
        `${TASK_ARN_LABEL}=${taskArn(1)}`,
        "-e",
        `SERVICE_8081_NAME=${owned}`,
        "-p",
        "127.0.0.1::8081",
      ],
      SERVE_FOREVER,
    );
    const intruder = await docker.runContainer(
      ctx.image,
      [
        "-l",
        `${FAMILY_LABEL}=intruder`,
        "-l",
        `${TASK_ARN_LABEL}=${taskArn(2)}`,
        "-e",
        `SERVICE_8081_NAME=${owned}`,
        "-e",
        `SERVICE_9090_NAME=${open}`,
        "-p",
        "127.0.0.1::8081",
        "-p",
        "127.0.0.1::9090",
      ],
      SERVE_FOREVER,
    );
    const outside = await docker.runContainer(
      ctx.image,
      ["-e", `SERVICE_8081_NAME=${owned}`, "-p", "127.0.0.1::8081"],
      SERVE_FOREVER,
    );
    const ownerPort = await docker.hostPort(owner, "8081/tcp");
    const openPort = await docker.hostPort(intruder, "9090/tcp");
    await eventually(async () => same(await ports(open), [openPort]), 10_000, `${open} registered`);
    await eventually(async () => same(await ports(owned), [ownerPort]), 10_000, `${owned}: owner only`);

    const skips = ctx.log.lines.filter((l) => l.problem === "service-not-owned");
    assert.deepEqual(
      skips.map((l) => l.container).sort(),
      [intruder.slice(0, 12), outside.slice(0, 12)].sort(),
      "one line for each container refused",
    );
    assert.match(String(skips[0]?.msg), /only by the task families payments/);
    const metrics = await (await fetch(`http://127.0.0.1:${ctx.agent.metricsPort}/metrics`)).text();
    assert.match(metrics, /ecssd_agent_declarations_skipped_total\{problem="service-not-owned"\} 2/);
  });

  it("leaves an awsvpc task's container (in its pause container's network) to the registrar", async () => {
    const pause = await docker.runContainer(
      ctx.image,
      ["-l", `${TASK_ARN_LABEL}=${taskArn(3)}`],
      SERVE_FOREVER,
    );
    const awsvpc = `_awsvpc${RUN_ID}._tcp`;
    const app = await docker.runContainer(
      ctx.image,
      [
        "--network",
        `container:${pause}`,
        "-l",
        `${TASK_ARN_LABEL}=${taskArn(3)}`,
        "-e",
        `SERVICE_8081_NAME=${awsvpc}`,
      ],
      SERVE_FOREVER,
    );
    await eventually(
      async () =>
        ctx.log.lines.some((l) => l.container === app.slice(0, 12) && /registrar/.test(String(l.msg))),
      10_000,
      "the agent says it leaves it to the registrar",
    );
    assert.deepEqual(await ports(awsvpc), []);
  });
});

describe("agent in a closed namespace (ECSSD_SERVICE_OWNERS_CLOSED), Docker and the local zone", function () {
  this.timeout(60_000);
  const docker = new DockerCli();
  const hostId = `closed-${RUN_ID}`;
  const listed = `_listed${RUN_ID}._tcp`;
  const unlisted = `_unlisted${RUN_ID}._tcp`;
  const ctx = ownersAgent(hostId, docker, {
    ECSSD_SERVICE_OWNERS: JSON.stringify({ [listed]: ["ledger"] }),
    ECSSD_SERVICE_OWNERS_CLOSED: "true",
  });

  it("refuses a name the owners map does not list, from any container, and registers the listed one", async () => {
    const ledger = await docker.runContainer(
      ctx.image,
      [
        "-l",
        `${FAMILY_LABEL}=ledger`,
        "-l",
        `${TASK_ARN_LABEL}=${taskArn(4)}`,
        "-e",
        `SERVICE_8081_NAME=${listed}`,
        "-e",
        `SERVICE_9090_NAME=${unlisted}`,
        "-p",
        "127.0.0.1::8081",
        "-p",
        "127.0.0.1::9090",
      ],
      SERVE_FOREVER,
    );
    const outside = await docker.runContainer(
      ctx.image,
      ["-e", `SERVICE_9090_NAME=${unlisted}`, "-p", "127.0.0.1::9090"],
      SERVE_FOREVER,
    );
    const listedPort = await docker.hostPort(ledger, "8081/tcp");
    await eventually(
      async () => JSON.stringify(await srvPorts(ctx.zone, listed)) === JSON.stringify([listedPort]),
      10_000,
      `${listed} registered for its owner`,
    );
    await eventually(
      async () => ctx.log.lines.filter((l) => l.problem === "service-not-owned").length === 2,
      10_000,
      "one line for each container refused",
    );
    assert.deepEqual(await srvPorts(ctx.zone, unlisted), [], "nobody may offer an unlisted name");
    const skips = ctx.log.lines.filter((l) => l.problem === "service-not-owned");
    assert.deepEqual(
      skips.map((l) => l.container).sort(),
      [ledger.slice(0, 12), outside.slice(0, 12)].sort(),
    );
    for (const skip of skips) assert.match(String(skip.msg), /is not listed in ECSSD_SERVICE_OWNERS/);
    const metrics = await (await fetch(`http://127.0.0.1:${ctx.agent.metricsPort}/metrics`)).text();
    assert.match(metrics, /ecssd_agent_declarations_skipped_total\{problem="service-not-owned"\} 2/);
  });
});
