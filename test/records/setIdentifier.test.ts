// SetIdentifiers name the deployment that wrote them: the ecssd2 form, its length budget at the longest parts,
// the unattributed ecssd1 form still read, and who owns what.
import assert from "node:assert/strict";
import {
  checkDeployment,
  deploymentFromName,
  hostSetIdentifier,
  instanceSetIdentifier,
  MAX_HOST_ID_LENGTH,
  ownedBy,
  ownedByHost,
  parseSetIdentifier,
  taskSetIdentifier,
} from "../../records";

const CONTAINER = "0123456789abcdef".repeat(4);
const TASK = "0123456789abcdef0123456789abcdef";

function setId(result: { setIdentifier: string } | { problems: unknown[] }): string {
  if ("problems" in result) throw new Error(JSON.stringify(result.problems));
  return result.setIdentifier;
}

describe("SetIdentifiers with a deployment mark", () => {
  it("writes and reads back every kind in the ecssd2 form", () => {
    const cases = [
      [hostSetIdentifier("i-0abc1234", "shop"), { kind: "host", hostId: "i-0abc1234", deployment: "shop" }],
      [
        setId(
          instanceSetIdentifier({
            hostId: "i-0abc1234",
            containerId: CONTAINER,
            containerPort: 8080,
            taskId: TASK,
            deployment: "shop",
          }),
        ),
        {
          kind: "instance",
          hostId: "i-0abc1234",
          containerId: CONTAINER.slice(0, 24),
          containerPort: 8080,
          taskId: TASK,
          deployment: "shop",
        },
      ],
      [setId(taskSetIdentifier(TASK, undefined, "shop")), { kind: "task", taskId: TASK, deployment: "shop" }],
      [
        setId(taskSetIdentifier(TASK, 8080, "shop")),
        { kind: "task-instance", taskId: TASK, containerPort: 8080, deployment: "shop" },
      ],
    ] as const;
    for (const [text, identity] of cases) {
      assert.match(text, /^ecssd2(task)?:shop:/);
      assert.deepEqual(parseSetIdentifier(text), identity, text);
    }
  });

  it("stays within 128 characters at the longest host id, deployment and task id, keeping 13 container characters", () => {
    const hostId = "h".repeat(MAX_HOST_ID_LENGTH);
    const text = setId(
      instanceSetIdentifier({
        hostId,
        containerId: CONTAINER,
        containerPort: 65535,
        taskId: "0".repeat(36),
        deployment: "d".repeat(10),
      }),
    );
    assert.equal(text.length, 128);
    const parsed = parseSetIdentifier(text);
    assert.equal(parsed?.kind === "instance" && parsed.containerId, CONTAINER.slice(0, 13));
    assert.equal(parsed?.deployment, "d".repeat(10));
  });

  it("still reads the unattributed ecssd1 form, without a deployment, and writes it without one", () => {
    assert.deepEqual(parseSetIdentifier("ecssd1:i-0abc1234"), { kind: "host", hostId: "i-0abc1234" });
    assert.deepEqual(parseSetIdentifier(`ecssd1task:${TASK}:8080`), {
      kind: "task-instance",
      taskId: TASK,
      containerPort: 8080,
    });
    assert.equal(hostSetIdentifier("i-0abc1234"), "ecssd1:i-0abc1234");
  });

  it("refuses a bad mark when writing and reads a bad mark as not ours", () => {
    assert.ok(checkDeployment("Shop"));
    assert.ok(checkDeployment("a".repeat(11)));
    assert.ok(checkDeployment("-shop"));
    assert.throws(() => hostSetIdentifier("i-0abc1234", "Shop"), /deployment "Shop"/);
    assert.ok("problems" in taskSetIdentifier(TASK, 80, "way-too-long-mark"));
    for (const text of [
      "ecssd2:Shop:i-0abc1234",
      "ecssd2::i-0abc1234",
      "ecssd2:shop",
      "ecssd2task:shop:x:y:z",
    ])
      assert.equal(parseSetIdentifier(text), undefined, text);
  });

  it("derives a short, deterministic, DNS-safe mark from any cluster or stack name", () => {
    assert.equal(deploymentFromName("prod"), "prod");
    assert.equal(deploymentFromName("Prod"), "prod");
    const long = deploymentFromName("ecssd-cluster-cluster-7f3a9c1");
    assert.equal(long, deploymentFromName("ecssd-cluster-cluster-7f3a9c1"));
    assert.notEqual(long, deploymentFromName("ecssd-cluster-cluster-7f3a9c2"));
    for (const name of [long, deploymentFromName("___"), deploymentFromName("my_cluster_with_a_long_name")])
      assert.equal(checkDeployment(name), undefined, name);
  });

  it("gives each deployment its own sets; unattributed ones only to a claim, or to their own host's agent", () => {
    const mine = parseSetIdentifier(hostSetIdentifier("i-0abc1234", "a"));
    const theirs = parseSetIdentifier(hostSetIdentifier("i-0abc1234", "b"));
    const legacy = parseSetIdentifier(hostSetIdentifier("i-0abc1234"));
    assert.ok(ownedBy(mine, { deployment: "a" }));
    assert.ok(!ownedBy(theirs, { deployment: "a" }));
    assert.ok(!ownedBy(legacy, { deployment: "a" }));
    assert.ok(ownedBy(legacy, { deployment: "a", claimUnattributed: true }));
    assert.ok(!ownedBy(mine, {}), "a component without a mark owns no marked set");
    assert.ok(ownedBy(legacy, {}));
    assert.ok(ownedByHost(legacy, { hostId: "i-0abc1234", deployment: "a" }));
    assert.ok(!ownedByHost(theirs, { hostId: "i-0abc1234", deployment: "a" }));
    assert.ok(!ownedByHost(legacy, { hostId: "i-0def5678", deployment: "a" }));
  });
});
