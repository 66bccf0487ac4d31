// The local stack end to end, as a user meets it: real containers, the agent and reconciler as processes,
// DNS answers read with dig, the portal under load while calc is restarted, and the page in a browser.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Browser } from "playwright-core";
import type { ExampleName } from "../../../examples/manifest";
import { type RunningStack, stackUp } from "../../../local/stack/stack";
import { stackStatus } from "../../../local/stack/stackControl";
import { localExampleContainer } from "../../../local/stack/stackServices";
import { type DnsServer, digShort } from "../../kit/dig";
import { eventually } from "../../kit/eventually";
import { launchChromium } from "../../support/browser";

const run = promisify(execFile);
const ARTIFACTS = join(__dirname, "..", "..", "..", "test-artifacts");

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The SRV answers for a name, read with dig straight from the zone's DNS server. */
function digSrv(stack: RunningStack, name: string): Promise<string[]> {
  return digShort(zoneDns(stack), "SRV", `${name}.${stack.zone.zoneName}`);
}

function zoneDns(stack: RunningStack): DnsServer {
  return { host: "127.0.0.1", port: stack.zone.dns.port };
}

const AWSVPC_PREFIX = "127.0.9.";

describe("local stack (npm start)", function () {
  this.timeout(240_000);
  let stack: RunningStack;
  let stateDir: string;
  const said: string[] = [];

  before(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "ecssd-stack-"));
    stack = await stackUp({
      stackName: `test${process.pid}`,
      apiPort: 0,
      dnsPort: 0,
      portalPort: await freePort(),
      zoneName: "servicediscovery.internal",
      username: "admin",
      password: "password",
      stateDir,
      timeInstances: 2,
      calcInstances: 2,
      awsvpcTimeInstances: 1,
      // Not 127.0.0.x: a developer's own stack may hold 127.0.0.2 on this machine.
      awsvpcAddressPrefix: AWSVPC_PREFIX,
      reconcileSeconds: 5,
      say: (line) => said.push(line),
    });
  });

  after(async () => {
    await stack?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("prints the portal URL, the credentials and the dig command", () => {
    assert.match(stack.banner, new RegExp(`portal: +${stack.portalUrl.replace(/[.?]/g, "\\$&")}`));
    assert.match(stack.banner, /credentials: +admin \/ password/);
    assert.match(
      stack.banner,
      new RegExp(
        `dig @127\\.0\\.0\\.1 -p ${stack.zone.dns.port} SRV _calc\\._tcp\\.servicediscovery\\.internal`,
      ),
    );
  });

  it("runs each example container as its container definition says (docker inspect)", async () => {
    const portalPort = Number(new URL(stack.portalUrl).port);
    const inspectOf = async (name: string) => JSON.parse((await run("docker", ["inspect", name])).stdout)[0];
    for (const [example, name] of [
      ["time", stack.instanceNames().find((n) => n.endsWith("-time-1"))],
      ["calc", stack.instanceNames().find((n) => n.endsWith("-calc-2"))],
      ["portal", stack.instanceNames().find((n) => n.endsWith("-portal"))],
    ] as [ExampleName, string][]) {
      const { options } = localExampleContainer(example, name, {
        stackName: `test${process.pid}`,
        image: `ecssd/${example}:local`,
        zoneName: stack.zone.zoneName,
        dnsPort: stack.zone.dns.port,
        portalPort,
        username: "admin",
        password: "password",
      });
      const running = await inspectOf(name);
      for (const entry of options.Env ?? [])
        assert.ok(running.Config.Env.includes(entry), `${name}: ${entry}`);
      for (const [k, v] of Object.entries(options.Labels ?? {}))
        assert.equal(running.Config.Labels[k], v, name);
      assert.equal(running.Config.StopTimeout, options.StopTimeout, name);
      assert.equal(running.Config.User, "1000", `${name} runs as the image's user`);
      assert.equal(running.HostConfig.NetworkMode, options.HostConfig?.NetworkMode, name);
      assert.deepEqual(running.HostConfig.PortBindings ?? {}, options.HostConfig?.PortBindings ?? {}, name);
      assert.equal(running.HostConfig.Memory, options.HostConfig?.Memory, name);
      if (options.Healthcheck) assert.deepEqual(running.Config.Healthcheck, options.Healthcheck, name);
      else
        assert.deepEqual(running.Config.Healthcheck.Test, [
          "CMD",
          "node",
          "/app/main.js",
          "--probe",
          "/health",
        ]);
      if (example !== "portal") {
        const published = (await run("docker", ["port", name])).stdout.trim();
        assert.match(published, /^\d+\/tcp -> 127\.0\.0\.1:\d+$/, name);
      }
    }
  });

  it("dig shows two calc instances; after docker stop of one, only one remains within TTL + 1 s", async () => {
    const before = await digSrv(stack, "_calc._tcp");
    assert.equal(before.length, 2, before.join("\n"));
    for (const line of before) assert.match(line, /^1 1 \d+ local\.servicediscovery\.internal\.$/);

    const victim = stack.instanceNames().find((n) => n.endsWith("-calc-1")) as string;
    const stopped = Date.now();
    // docker stop waits for the drain; the record must be gone long before the container is.
    const stopping = run("docker", ["stop", "-t", "20", victim]);
    const after = await eventually(
      async () => {
        const answers = await digSrv(stack, "_calc._tcp");
        return answers.length === 1 ? answers : undefined;
      },
      11_000,
      "one calc instance in DNS",
      100,
    );
    assert.ok(Date.now() - stopped <= 11_000);
    assert.ok(before.includes(after[0] as string));
    await stopping;
    await stack.startInstance("calc");
    await eventually(
      async () => ((await digSrv(stack, "_calc._tcp")).length === 2 ? true : undefined),
      30_000,
      "two calc instances again",
      100,
    );
  });

  it("serves every request through the portal during a rolling restart of calc", async () => {
    const calcs = () => stack.instanceNames().filter((n) => /-calc-\d+$/.test(n));
    const live = async () => {
      const { stdout } = await run("docker", ["ps", "--format", "{{.Names}}"]);
      return calcs().filter((n) => stdout.split("\n").includes(n));
    };
    const [first, second] = await live();
    assert.ok(first && second, "two calc containers run before the restart");

    let requests = 0;
    const failures: string[] = [];
    let loading = true;
    const load = (async () => {
      while (loading && requests < 20_000) {
        requests++;
        try {
          const res = await fetch(new URL("calc/6*7", stack.portalUrl), {
            signal: AbortSignal.timeout(5000),
          });
          const body = (await res.json()) as { answer?: { result?: number } };
          if (res.status !== 200 || body.answer?.result !== 42)
            failures.push(`${res.status} ${JSON.stringify(body)}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    })();

    const waitForCalcCount = (n: number) =>
      eventually(
        async () => ((await digSrv(stack, "_calc._tcp")).length === n ? true : undefined),
        60_000,
        `${n} calc instances in DNS`,
        100,
      );
    await run("docker", ["stop", "-t", "20", first]);
    await waitForCalcCount(1);
    await stack.startInstance("calc");
    await waitForCalcCount(2);
    await run("docker", ["stop", "-t", "20", second]);
    await waitForCalcCount(1);
    loading = false;
    await load;
    console.log(`      rolling restart: ${requests} requests through the portal, ${failures.length} failed`);
    assert.ok(requests > 50, `only ${requests} requests were made`);
    assert.deepEqual(failures.slice(0, 5), []);
  });

  it("runs time's Fargate variant as an awsvpc task the registrar registers, in one fleet with the bridge tasks", async () => {
    const [task] = stack.awsvpcTasks.list();
    assert.ok(task, "one awsvpc task runs");
    assert.equal(task.address, `${AWSVPC_PREFIX}2`);
    const target = `${task.taskId}.servicediscovery.internal.`;
    const srv = await digSrv(stack, "_time._tcp");
    assert.equal(srv.length, 3, srv.join("\n"));
    assert.ok(srv.includes(`1 1 8080 ${target}`), srv.join("\n"));
    const a = (await digShort(zoneDns(stack), "A", target)).join("\n");
    assert.equal(a.trim(), task.address);
    // The agent leaves it alone: no record of it names the host.
    const inspected = JSON.parse((await run("docker", ["inspect", task.name])).stdout)[0];
    assert.match(inspected.HostConfig.NetworkMode, /^container:/);

    // The portal reaches it like any other time instance.
    const seen = new Set<string>();
    for (let i = 0; i < 60 && !seen.has(task.address); i++) {
      const res = await fetch(new URL("time/15:04", stack.portalUrl), { signal: AbortSignal.timeout(5000) });
      const body = (await res.json()) as { upstream?: { address: string } };
      assert.equal(res.status, 200, JSON.stringify(body));
      if (body.upstream) seen.add(body.upstream.address);
    }
    assert.ok(seen.has(task.address), `the portal reached ${[...seen].join(", ")}`);

    // stack status names it, and who owns its record.
    const status = await stackStatus(stateDir);
    const time = status.services.find((s) => s.name === "_time._tcp.servicediscovery.internal");
    const mine = time?.instances.find((i) => i.task === task.taskId);
    assert.deepEqual([mine?.owner, mine?.port], ["registrar", 8080]);
    assert.ok(time?.instances.filter((i) => i.owner === "agent").length === 2);

    // Stopped as ECS stops a task: out of DNS first, then SIGTERM and its drain.
    const stopping = stack.awsvpcTasks.stop(task.name, 20);
    await eventually(
      async () => ((await digSrv(stack, "_time._tcp")).some((l) => l.endsWith(target)) ? undefined : true),
      11_000,
      "the awsvpc task out of DNS",
      100,
    );
    await stopping;
    assert.equal((await digSrv(stack, "_time._tcp")).length, 2);
  });

  it("the portal works in a real browser", async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 900, height: 640 } });
      await page.goto(stack.portalUrl);
      await page.fill("#time-input", "15:04 Jan 2");
      await page.fill("#tz-input", "UTC");
      await page.click("#time-form button");
      assert.match(
        (await page.locator("#time-result .value").textContent({ timeout: 10_000 })) ?? "",
        /^\d{2}:\d{2} [A-Z][a-z]{2} \d{1,2}$/,
      );
      assert.match(
        (await page.locator("#time-result .meta").textContent()) ?? "",
        /^answered by container [0-9a-f]{12}/,
      );
      await page.fill("#calc-input", "(2+2)*3");
      await page.click("#calc-form button");
      assert.equal(await page.locator("#calc-result .value").textContent({ timeout: 10_000 }), "12");
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "local-stack-portal.png"), fullPage: true });
    } finally {
      await browser?.close();
    }
  });

  it("stack stop removes every container it started", async () => {
    const names = stack.instanceNames();
    await stack.stop();
    const { stdout } = await run("docker", ["ps", "-a", "--format", "{{.Names}}"]);
    const left = stdout.split("\n").filter((n) => names.includes(n));
    assert.deepEqual(left, []);
    const { stdout: labelled } = await run("docker", [
      "ps",
      "-a",
      "--filter",
      `label=ecssd.stack=test${process.pid}`,
      "--format",
      "{{.Names}}",
    ]);
    assert.equal(labelled.trim(), "", "no container of the stack is left, awsvpc tasks' included");
  });
});
