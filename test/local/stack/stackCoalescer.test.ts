// The local stack runs the zone's one writer by default, as the Pulumi program does: the agent's changes and the
// awsvpc tasks' events reach the zone through the coalescer alone, and the records answer with dig.
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stackStatusLines } from "../../../cli/commands/stack";
import { type RunningStack, stackUp } from "../../../local/stack/stack";
import type { StackCoalescer } from "../../../local/stack/stackCoalescer";
import { stackStatus } from "../../../local/stack/stackControl";
import { digShort } from "../../kit/dig";
import { eventually } from "../../kit/eventually";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const WRITE = "ChangeResourceRecordSets";

describe("local stack with the coalescer (the default)", function () {
  this.timeout(240_000);
  let stack: RunningStack;
  let coalescer: StackCoalescer;
  let stateDir: string;

  before(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "ecssd-stack-coalescer-"));
    stack = await stackUp({
      stackName: `coal${process.pid}`,
      apiPort: 0,
      dnsPort: 0,
      portalPort: await freePort(),
      zoneName: "servicediscovery.internal",
      username: "admin",
      password: "password",
      stateDir,
      timeInstances: 1,
      calcInstances: 1,
      awsvpcTimeInstances: 1,
      // Not 127.0.0.x or localStack.test.ts's 127.0.9.x: either may be in use on this machine.
      awsvpcAddressPrefix: "127.0.10.",
      // The reconciler writes Route53 itself, as on AWS: kept out of the way, every write here is the coalescer's.
      reconcileSeconds: 3_600,
      say: () => undefined,
    });
    assert.ok(stack.coalescer, "the stack runs a coalescer");
    coalescer = stack.coalescer;
  });

  after(async () => {
    await stack?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const srv = (name: string) =>
    digShort({ host: "127.0.0.1", port: stack.zone.dns.port }, "SRV", `${name}.${stack.zone.zoneName}`);

  /** Once the coalescer's queue is empty, the zone has seen no write but the coalescer's. */
  const onlyTheCoalescerWrote = () =>
    eventually(
      () => {
        const zoneWrites = stack.zone.stats()[WRITE] ?? 0;
        const status = coalescer.status();
        return status.queued === 0 && zoneWrites === (status.requests[WRITE] ?? 0) ? zoneWrites : undefined;
      },
      30_000,
      "the zone's writes to equal the coalescer's",
      100,
    );

  it("the agent writes through the coalescer: every write the zone saw is the coalescer's, and dig answers", async () => {
    assert.match(
      stack.banner,
      new RegExp(`coalescer: +${coalescer.url.replace(/[.]/g, "\\.")} +\\(the zone's one writer`),
    );
    assert.ok((await onlyTheCoalescerWrote()) > 0, "the zone was written");
    const calc = await srv("_calc._tcp");
    assert.equal(calc.length, 1, calc.join("\n"));
    assert.match(calc[0] ?? "", /^1 1 \d+ local\.servicediscovery\.internal\.$/);
  });

  it("an awsvpc task's records land through it, and leave through it when the task stops", async () => {
    const [task] = stack.awsvpcTasks.list();
    assert.ok(task, "one awsvpc task runs");
    const target = `${task.taskId}.servicediscovery.internal.`;
    const time = await srv("_time._tcp");
    assert.ok(time.includes(`1 1 8080 ${target}`), time.join("\n"));
    const a = await digShort({ host: "127.0.0.1", port: stack.zone.dns.port }, "A", target);
    assert.deepEqual(a, [task.address]);
    const before = coalescer.status().changes;

    await stack.awsvpcTasks.stop(task.name, 5);
    await eventually(
      async () => ((await srv("_time._tcp")).some((l) => l.endsWith(target)) ? undefined : true),
      30_000,
      "the awsvpc task out of DNS",
      100,
    );
    assert.ok(coalescer.status().changes > before, "the task's deletes went through the coalescer");
    await onlyTheCoalescerWrote();
  });

  it("stack status shows the coalescer: its URL, queue, requests, throttles and record sets against the limit", async () => {
    const status = await stackStatus(stateDir);
    assert.equal(status.coalescer?.url, coalescer.url);
    const reported = status.coalescer?.status;
    assert.ok(reported, `the coalescer answered: ${status.coalescer?.unreachable}`);
    assert.equal(reported.zoneId, stack.zone.hostedZoneId);
    assert.equal(reported.recordSetLimit, 10_000);
    assert.ok((reported.requests[WRITE] ?? 0) > 0);
    assert.deepEqual(JSON.parse(JSON.stringify(status)).coalescer.url, coalescer.url);
    const line = stackStatusLines(status).find((l) => l.startsWith("coalescer "));
    assert.match(
      line ?? "",
      /^coalescer http:\/\/127\.0\.0\.1:\d+: \d+ queued \(\d+ changes\), \d+ requests \(.*ChangeResourceRecordSets \d+.*\), \d+ throttled, \d+ of 10000 record sets$/,
    );
  });
});
