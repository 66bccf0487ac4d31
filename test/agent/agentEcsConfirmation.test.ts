// The family comes from ECS, not from a label alone, end to end: the agent on the machine's Docker engine and
// the local zone, beside a stand-in for the ECS agent's introspection API on loopback that lists the containers
// "ECS started" (created, listed, then started, in ECS's order). A container started by hand with ECS's labels,
// as anyone with the Docker socket can, is not published; one ECS lists is.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { HostAgent } from "../../agent/hostAgent";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { baseImage, DockerCli, RUN_ID, TEST_LABEL } from "../kit/docker";
import { eventually } from "../kit/eventually";
import { type MemoryLog, memoryLog, SERVE_FOREVER, srvPorts, startAgent } from "./agentHarness";

const FAMILY_LABEL = "com.amazonaws.ecs.task-definition-family";
const TASK_ARN_LABEL = "com.amazonaws.ecs.task-arn";
const taskArn = (n: number) =>
  `arn:aws:ecs:us-east-1:123456789012:task/apps/${n.toString(16).padStart(8, "0")}${RUN_ID}${"0".repeat(16)}`;

/** The ECS agent's `/v1/tasks`, listing what the test says ECS started; `failing` answers 500. */
class FakeEcsAgent {
  readonly tasks: { Arn: string; Family: string; Containers: { DockerId: string; Name: string }[] }[] = [];
  failing = false;
  private readonly server = http.createServer((req, res) => {
    if (this.failing || req.url !== "/v1/tasks") {
      res.writeHead(this.failing ? 500 : 404).end();
      return;
    }
    const body = this.tasks.map((t) => ({
      ...t,
      Version: "1",
      KnownStatus: "RUNNING",
      DesiredStatus: "RUNNING",
    }));
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ Tasks: body }));
  });
  url = "";
  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
}

describe("agent confirms ECS labels with the ECS agent's introspection API (Docker, local zone)", function () {
  this.timeout(60_000);
  const docker = new DockerCli();
  const owned = `_calc${RUN_ID}._tcp`;
  const open = `_open${RUN_ID}._tcp`;
  let image: string;
  let zone: LocalZone;
  let agent: HostAgent;
  let log: MemoryLog;
  const ecs = new FakeEcsAgent();

  const same = (a: number[], b: number[]) => JSON.stringify(a) === JSON.stringify(b);
  const metrics = async () => (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();

  /** Created, then told to ECS (when `listed`), then started: the order in which ECS runs a task. */
  async function ecsStyleContainer(n: number, family: string, service: string, listed: boolean) {
    const id = await docker.exec([
      "create",
      ...["-l", TEST_LABEL, "-l", `ecssd.test.run=${RUN_ID}`],
      ...["-l", `${FAMILY_LABEL}=${family}`, "-l", `${TASK_ARN_LABEL}=${taskArn(n)}`],
      ...["-e", `SERVICE_8081_NAME=${service}`, "-p", "127.0.0.1::8081"],
      image,
      ...SERVE_FOREVER,
    ]);
    if (listed)
      ecs.tasks.push({ Arn: taskArn(n), Family: family, Containers: [{ DockerId: id, Name: "app" }] });
    await docker.exec(["start", id]);
    return { id, port: await docker.hostPort(id, "8081/tcp") };
  }

  before(async function () {
    this.timeout(300_000);
    image = await baseImage();
    zone = await startLocalZone();
    await ecs.start();
    log = memoryLog();
    agent = await startAgent(
      zone,
      `ecs-${RUN_ID}`,
      { log: log.logger },
      {
        ECSSD_METRICS_PORT: "0",
        ECSSD_SERVICE_OWNERS: JSON.stringify({ [owned]: ["calc"] }),
        ECSSD_ECS_AGENT_URL: ecs.url,
      },
    );
  });

  after(async function () {
    this.timeout(120_000);
    await agent?.stop();
    await docker.removeOurs();
    await zone?.close();
    ecs.close();
  });

  it("publishes a container ECS lists, and not one started by hand with ECS's family label", async () => {
    const genuine = await ecsStyleContainer(1, "calc", owned, true);
    const forged = await ecsStyleContainer(2, "calc", owned, false);
    const plain = await docker.runContainer(
      image,
      ["-e", `SERVICE_9090_NAME=${open}`, "-p", "127.0.0.1::9090"],
      SERVE_FOREVER,
    );
    const plainPort = await docker.hostPort(plain, "9090/tcp");

    await eventually(
      async () => same(await srvPorts(zone, owned), [genuine.port]),
      10_000,
      "calc: ECS's only",
    );
    await eventually(
      async () => same(await srvPorts(zone, open), [plainPort]),
      10_000,
      "an open name, no labels",
    );
    await eventually(
      async () =>
        log.lines.some((l) => l.container === forged.id.slice(0, 12) && l.problem === "ecs-task-unknown"),
      10_000,
      "a skip line for the forged container",
    );
    // Still out after a full resync: the refusal is not a race with ECS.
    await agent.agent.resync();
    await agent.loop.whenConverged();
    assert.deepEqual(await srvPorts(zone, owned), [genuine.port]);
    const text = await metrics();
    assert.match(text, /ecssd_agent_declarations_skipped_total\{problem="ecs-task-unknown"\} 1\b/);
    assert.match(text, /ecssd_agent_ecs_introspection_requests_total\{result="ok"\} \d+/);
  });

  it("registers nothing new while the ECS agent cannot answer, keeps what it confirmed, and catches up", async () => {
    const before = await srvPorts(zone, owned);
    ecs.failing = true;
    const late = await ecsStyleContainer(3, "calc", owned, true);
    await eventually(
      async () =>
        log.lines.some((l) => l.container === late.id.slice(0, 12) && l.problem === "ecs-task-unconfirmed"),
      10_000,
      "a skip line: ECS cannot be asked",
    );
    assert.ok(
      log.lines.some((l) => l.action === "ecs-introspection" && l.level === 40),
      "a warning names the failure",
    );
    await agent.agent.resync();
    await agent.loop.whenConverged();
    assert.deepEqual(await srvPorts(zone, owned), before, "confirmed containers stay; the new one waits");

    ecs.failing = false;
    await agent.agent.resync();
    await eventually(
      async () =>
        same(
          await srvPorts(zone, owned),
          [...before, late.port].sort((a, b) => a - b),
        ),
      10_000,
      "registered once ECS answers",
    );
    assert.match(await metrics(), /ecssd_agent_ecs_introspection_requests_total\{result="error"\} \d+/);
  });
});
