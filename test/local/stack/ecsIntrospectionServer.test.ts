// The local stack's stand-in for the ECS agent's introspection API: the agent's own client reads it, it lists
// the containers the stack created with ECS's task labels (and only those), and forgets removed ones.
import { strict as assert } from "node:assert";
import { EcsIntrospection } from "../../../agent/ecsIntrospection";
import { localTaskArn } from "../../../local/stack/awsvpcTasks";
import { LocalEcsIntrospection } from "../../../local/stack/ecsIntrospectionServer";

const id = (n: number) => n.toString(16).padStart(2, "0").repeat(32);
const FAMILY = "com.amazonaws.ecs.task-definition-family";
const TASK = "com.amazonaws.ecs.task-arn";

describe("local stack: the ECS agent's introspection API", () => {
  let server: LocalEcsIntrospection;
  let url: string;
  beforeEach(async () => {
    server = new LocalEcsIntrospection();
    url = await server.listen();
  });
  afterEach(() => server.close());

  it("lists the stack's containers by task, in the shape the agent reads", async () => {
    const arn = localTaskArn("0123456789abcdef0123456789abcdef");
    server.created(id(1), "ecssd-local-calc-1", {
      [TASK]: arn,
      [FAMILY]: "ecssd-local-calc",
      "ecssd.stack": "local",
    });
    server.created(id(2), "ecssd-local-calc-1-sidecar", { [TASK]: arn, [FAMILY]: "ecssd-local-calc" });
    server.created(id(3), "no-task", { "ecssd.stack": "local" });
    const ecs = new EcsIntrospection({ url, minIntervalMs: 0 });
    assert.deepEqual(await ecs.taskOf(id(1)), {
      status: "known",
      task: { taskArn: arn, family: "ecssd-local-calc", version: "1" },
    });
    assert.equal((await ecs.taskOf(id(2))).status, "known");
    assert.deepEqual(
      await ecs.taskOf(id(3)),
      { status: "unknown" },
      "a container without a task is not listed",
    );
    const body = (await (await fetch(`${url}/v1/tasks`)).json()) as { Tasks: { Containers: unknown[] }[] };
    assert.equal(body.Tasks.length, 1);
    assert.equal(body.Tasks[0]?.Containers.length, 2);
  });

  it("forgets a removed container, by id or by name, and answers nothing but GET /v1/tasks", async () => {
    const labels = { [TASK]: localTaskArn("f".repeat(32)), [FAMILY]: "ecssd-local-time" };
    server.created(id(4), "ecssd-local-time-1", labels);
    server.created(id(5), "ecssd-local-time-2", labels);
    server.removed("ecssd-local-time-1");
    server.removed(id(5));
    assert.deepEqual(server.tasks(), { Tasks: [] });
    assert.equal((await fetch(`${url}/v1/metadata`)).status, 404);
    assert.equal((await fetch(`${url}/v1/tasks`, { method: "POST" })).status, 404);
  });
});
