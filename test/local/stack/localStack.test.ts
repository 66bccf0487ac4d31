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
import { localExampleContainer } from "../../../local/stack/stackServices";
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
async function digSrv(stack: RunningStack, name: string): Promise<string[]> {
  const { stdout } = await run("dig", [
    "@127.0.0.1",
    "-p",
    String(stack.zone.dns.port),
    "+short",
    "+tries=1",
    "+time=2",
    "SRV",
    `${name}.${stack.zone.zoneName}`,
  ]);
  return stdout.trim().split("\n").filter(Boolean).sort();
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

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
    const after = await until("one calc instance in DNS", 11_000, async () => {
      const answers = await digSrv(stack, "_calc._tcp");
      return answers.length === 1 ? answers : undefined;
    });
    assert.ok(Date.now() - stopped <= 11_000);
    assert.ok(before.includes(after[0] as string));
    await stopping;
    await stack.startInstance("calc");
    await until("two calc instances again", 30_000, async () =>
      (await digSrv(stack, "_calc._tcp")).length === 2 ? true : undefined,
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
      until(`${n} calc instances in DNS`, 60_000, async () =>
        (await digSrv(stack, "_calc._tcp")).length === n ? true : undefined,
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
  });
});
