// The ECS agent's introspection client against a real HTTP server on loopback that answers as the ECS agent
// does (the shape of AWS's "Amazon ECS container introspection" page), and as it must not: bad JSON, no
// answer, errors, huge answers. And the judgement of a container's labels against what ECS says.
import { strict as assert } from "node:assert";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { loadAgentConfig } from "../../agent/config";
import { EcsIntrospection, parseIntrospectionTasks } from "../../agent/ecsIntrospection";
import { judgeEcsLabels } from "../../agent/ecsIntrospectionSource";

const id = (n: number) => n.toString(16).padStart(2, "0").repeat(32);
const ARN = "arn:aws:ecs:us-west-2:123456789012:task/main/090eff9b1ce34db6848aa8d14064fd24";
const STOPPED_ARN = "arn:aws:ecs:us-west-2:123456789012:task/main/1810e3028cde4d1a9f5e2b6a11b3c9f0";

/** Two tasks, one running and one stopped, as the ECS agent lists them. */
function recorded(extra: unknown[] = []) {
  return {
    Tasks: [
      {
        Arn: ARN,
        Containers: [
          { DockerId: id(1), DockerName: "ecs-calc-6-calc-86caf9bcabe3e9c61600", Name: "calc" },
          { DockerId: id(2), DockerName: "ecs-calc-6-sidecar-f4a3d1e6c0b8b5c3b101", Name: "sidecar" },
        ],
        DesiredStatus: "RUNNING",
        Family: "calc",
        KnownStatus: "RUNNING",
        Version: "6",
      },
      {
        Arn: STOPPED_ARN,
        Containers: [{ DockerId: id(3), DockerName: "ecs-time-2-time-ea9ebd8e96a9ebd3c801", Name: "time" }],
        DesiredStatus: "STOPPED",
        Family: "time",
        KnownStatus: "STOPPED",
        Version: "2",
      },
      ...extra,
    ],
  };
}

type Handler = (res: http.ServerResponse) => void;

describe("ECS agent introspection client", () => {
  let server: http.Server;
  let url: string;
  let handler: Handler;
  let requests: string[];

  before(async () => {
    server = http.createServer((req, res) => {
      requests.push(req.url ?? "");
      handler(res);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    requests = [];
    handler = (res) =>
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(recorded()));
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const client = (opts: Partial<ConstructorParameters<typeof EcsIntrospection>[0]> = {}) =>
    new EcsIntrospection({ url, minIntervalMs: 50, timeoutMs: 500, ...opts });

  it("names each listed container's task and family, and answers known ones without asking again", async () => {
    const ecs = client();
    assert.deepEqual(await ecs.taskOf(id(1)), {
      status: "known",
      task: { taskArn: ARN, family: "calc", version: "6" },
    });
    assert.deepEqual(await ecs.taskOf(id(2).toUpperCase()), {
      status: "known",
      task: { taskArn: ARN, family: "calc", version: "6" },
    });
    assert.equal((await ecs.taskOf(id(3))).status, "known");
    assert.deepEqual(requests, ["/v1/tasks"]);
  });

  it("says unknown for a container ECS does not list, after a fresh answer", async () => {
    const ecs = client();
    assert.equal((await ecs.taskOf(id(1))).status, "known");
    handler = (res) =>
      res.writeHead(200).end(
        JSON.stringify(
          recorded([
            {
              Arn: ARN.replace("090e", "aaaa"),
              Family: "late",
              Version: "1",
              Containers: [{ DockerId: id(9), Name: "x" }],
            },
          ]),
        ),
      );
    // A container started after the last answer is asked about again, and found.
    assert.equal((await ecs.taskOf(id(9))).status, "known");
    assert.deepEqual(await ecs.taskOf(id(7)), { status: "unknown" });
    assert.equal(requests.length, 3);
  });

  it("asks once for many unknown containers at once, and never more often than its interval", async () => {
    const ecs = client({ minIntervalMs: 200 });
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => ecs.taskOf(id(100 + i))));
    assert.ok(answers.every((a) => a.status === "unknown"));
    assert.equal(requests.length, 1);
    const started = Date.now();
    for (let i = 0; i < 5; i++) await ecs.taskOf(id(200 + i));
    const elapsed = Date.now() - started;
    assert.equal(requests.length, 6);
    assert.ok(elapsed >= 5 * 200 - 20, `5 more requests took ${elapsed} ms, not at least 1 s`);
  });

  it("treats bad JSON as no answer, and keeps what the last good answer confirmed", async () => {
    const ecs = client();
    assert.equal((await ecs.taskOf(id(1))).status, "known");
    handler = (res) => res.writeHead(200).end('{"Tasks": [');
    const fresh = await ecs.taskOf(id(8));
    assert.equal(fresh.status, "unavailable");
    assert.match((fresh as { reason: string }).reason, /malformed answer/);
    assert.equal((await ecs.taskOf(id(1))).status, "known", "a confirmed container stays confirmed");
  });

  for (const [what, body, reason] of [
    ["not an object", "[1,2]", /"Tasks" array/],
    ["Tasks not an array", '{"Tasks":{}}', /"Tasks" array/],
    ["a task not an object", '{"Tasks":[7]}', /a task is not an object/],
    [
      "Containers not an array",
      `{"Tasks":[{"Arn":"${ARN}","Family":"calc","Containers":"${id(1)}"}]}`,
      /"Containers" is not an array/,
    ],
  ] as const) {
    it(`refuses an answer whose shape is wrong (${what})`, async () => {
      handler = (res) => res.writeHead(200).end(body);
      const answer = await client().taskOf(id(1));
      assert.equal(answer.status, "unavailable");
      assert.match((answer as { reason: string }).reason, reason);
    });
  }

  it("gives up on a server that does not answer within its timeout", async () => {
    handler = () => {};
    const started = Date.now();
    const answer = await client({ timeoutMs: 300 }).taskOf(id(1));
    assert.deepEqual(answer, { status: "unavailable", reason: "no answer within 300 ms" });
    assert.ok(Date.now() - started < 1500);
  });

  it("treats an error status, an oversized answer and a refused connection as no answer", async () => {
    handler = (res) => res.writeHead(500).end("oops");
    assert.match(JSON.stringify(await client().taskOf(id(1))), /HTTP 500/);
    handler = (res) => res.writeHead(200).end(`{"Tasks":[],"pad":"${"x".repeat(10_000)}"}`);
    assert.match(JSON.stringify(await client({ maxBytes: 1000 }).taskOf(id(1))), /larger than 1000 bytes/);
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = await new EcsIntrospection({ url: `http://127.0.0.1:${port}` }).taskOf(id(1));
    assert.equal(refused.status, "unavailable");
  });

  it("reports every request, and a failing report changes nothing", async () => {
    const seen: unknown[] = [];
    const ecs = client({
      onRequest: (o) => {
        seen.push(o);
        throw new Error("metrics broke");
      },
    });
    assert.equal((await ecs.taskOf(id(1))).status, "known");
    assert.deepEqual(seen, [{ ok: true, tasks: 2 }]);
  });
});

describe("introspection answers, parsed", () => {
  it("leaves out tasks whose ARN or family ECS could not have written, and containers not created yet", () => {
    const byId = parseIntrospectionTasks(
      recorded([
        { Arn: "not-an-arn", Family: "x", Containers: [{ DockerId: id(4) }] },
        { Arn: ARN.replace("090e", "bbbb"), Family: "bad family", Containers: [{ DockerId: id(5) }] },
        {
          Arn: ARN.replace("090e", "cccc"),
          Family: "ok",
          Containers: [{ DockerId: "" }, { Name: "pending" }, null],
        },
      ]),
    );
    assert.deepEqual([...byId.keys()].sort(), [id(1), id(2), id(3)]);
  });
});

describe("a container's ECS labels, judged by ECS's answer", () => {
  const labelled = (labels: Record<string, string>) => ({ Id: id(1), Config: { Labels: labels } });
  const FAMILY = "com.amazonaws.ecs.task-definition-family";
  const TASK = "com.amazonaws.ecs.task-arn";
  const known = { status: "known", task: { taskArn: ARN, family: "calc", version: "6" } } as const;

  it("confirms labels that name the task and family ECS lists the container under", () => {
    assert.deepEqual(judgeEcsLabels(labelled({ [FAMILY]: "calc", [TASK]: ARN }), known), { confirmed: true });
    assert.deepEqual(judgeEcsLabels(labelled({ [FAMILY]: "calc" }), known), { confirmed: true });
  });

  it("refuses labels that differ from ECS's, and containers ECS does not list or cannot be asked about", () => {
    const code = (labels: Record<string, string>, answer: Parameters<typeof judgeEcsLabels>[1]) => {
      const j = judgeEcsLabels(labelled(labels), answer);
      return j.confirmed ? "confirmed" : j.code;
    };
    assert.equal(code({ [FAMILY]: "payments" }, known), "ecs-task-unknown");
    assert.equal(code({ [FAMILY]: "calc", [TASK]: STOPPED_ARN }, known), "ecs-task-unknown");
    assert.equal(code({ [FAMILY]: "calc" }, { status: "unknown" }), "ecs-task-unknown");
    assert.equal(
      code({ [FAMILY]: "calc" }, { status: "unavailable", reason: "down" }),
      "ecs-task-unconfirmed",
    );
  });
});

describe("ECSSD_ECS_AGENT_URL", () => {
  it("asks the ECS agent on this host by default, takes another URL, or off", () => {
    assert.equal(loadAgentConfig({}).ecsAgentUrl, "http://localhost:51678");
    assert.equal(loadAgentConfig({ ECSSD_ECS_AGENT_URL: " OFF " }).ecsAgentUrl, "off");
    assert.equal(
      loadAgentConfig({}, { ecsAgentUrl: "http://127.0.0.1:9" }).ecsAgentUrl,
      "http://127.0.0.1:9",
    );
    assert.throws(
      () => loadAgentConfig({ ECSSD_ECS_AGENT_URL: "no" }),
      /\[ECSSD_ECS_AGENT_URL\] must be an http:\/\/ or https:\/\/ URL, not "no"/,
    );
  });
});
