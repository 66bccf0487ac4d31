// The reconciler's bundle, loaded and invoked the way the Node.js 24 Lambda runtime does it: the code alone in
// the task root as index.js (CommonJS), the handler named by the function's `handler` setting, the AWS SDK v3
// found only where the runtime provides it (NODE_PATH), nothing else of our node_modules reachable, and an async
// handler (the nodejs24.x runtime no longer takes callback handlers). Run on a Node.js 24 binary.
import { strict as assert } from "node:assert";
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { bundleLambda } from "../../infra/lambdaBundle";
import { LAMBDA_NODE_RUNTIMES, RECONCILER_RUNTIME, REGISTRAR_RUNTIME } from "../../infra/lambdaRuntime";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { recordSetKey } from "../../records";
import { REGION as ECS_REGION, EcsWorld, ecsClient, srvRecord } from "../reconciler/support/ecsWorld";
import { sharedMoto } from "../reconciler/support/sharedMoto";
import { createSets, hostA, readZone, route53Client } from "../reconciler/support/zoneFixtures";
import { AwsvpcWorld, holdTaskStates, taskEvent } from "../registrar/support/awsvpcWorld";
import type { MotoServer } from "../support/moto";
import { REGION } from "./support/programMocks";
import { runProgram } from "./support/runProgram";

const REPO = path.join(__dirname, "..", "..");

/** What the runtime's bootstrap does with `_HANDLER`, reduced to the part that can fail for a bundle. */
const BOOTSTRAP = `
const path = require("node:path");
const [file, name] = process.env._HANDLER.split(".");
const mod = require(path.join(process.env.LAMBDA_TASK_ROOT, file));
const fn = mod[name];
if (typeof fn !== "function") throw new Error("no function " + name + " exported by " + file);
if (fn.length > 2) throw new Error("a callback handler: nodejs24.x runs async handlers only");
const context = { getRemainingTimeInMillis: () => 60000, functionName: "ecssd-reconciler" };
const result = fn(JSON.parse(process.env.EVENT), context);
if (!(result instanceof Promise)) throw new Error("the handler did not return a promise");
result.then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });
`;

describe("the Lambda bundles in a Node.js 24 Lambda runtime", function () {
  this.timeout(120_000);
  let moto: MotoServer;
  let zone: LocalZone;
  let root: string;

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), "ecssd-lambda-"));
    [moto, zone] = await Promise.all([sharedMoto(), startLocalZone()]);
  });
  after(async () => {
    await zone?.close();
    rmSync(root, { recursive: true, force: true });
  });

  /**
   * Runs the bundle as the runtime would: /var/task holds the bundle alone, /var/runtime/node_modules the SDK
   * v3 the runtime ships. Returns what the handler resolved to, as JSON.
   */
  async function invoke(
    bundle: { fileName: string; code: string },
    handler: string,
    env: Record<string, string>,
  ): Promise<{ result: string; emf: Record<string, unknown>[] }> {
    const lambdaRoot = mkdtempSync(path.join(root, "fn-"));
    const task = path.join(lambdaRoot, "var", "task");
    const runtimeModules = path.join(lambdaRoot, "var", "runtime", "node_modules");
    mkdirSync(task, { recursive: true });
    mkdirSync(runtimeModules, { recursive: true });
    writeFileSync(path.join(task, bundle.fileName), bundle.code);
    symlinkSync(path.join(REPO, "node_modules", "@aws-sdk"), path.join(runtimeModules, "@aws-sdk"));
    const node24 = execFileSync("bash", [path.join(REPO, "scripts", "node-runtime.sh"), "24"], {
      encoding: "utf8",
    }).trim();
    const { stdout } = await promisify(execFile)(node24, ["-e", BOOTSTRAP], {
      cwd: task,
      timeout: 60_000,
      env: {
        PATH: path.dirname(node24),
        LAMBDA_TASK_ROOT: task,
        _HANDLER: handler,
        NODE_PATH: `${runtimeModules}:${task}`,
        AWS_REGION: ECS_REGION,
        AWS_ACCESS_KEY_ID: "testing",
        AWS_SECRET_ACCESS_KEY: "testing",
        ECSSD_ROUTE53_ENDPOINT: zone.apiUrl,
        ECSSD_ZONE_ID: zone.hostedZoneId,
        ECSSD_ECS_ENDPOINT: moto.endpoint,
        LOG_LEVEL: "silent",
        ...env,
      },
    });
    // The function's log stream: its EMF lines (metrics/), then the handler's result, written last.
    const lines = stdout.split("\n").filter((l) => l.trim() !== "");
    const result = lines.pop() ?? "";
    const emf = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((doc) => typeof doc._aws === "object");
    return { result, emf };
  }

  it("reconciler: loads from index.js with only the runtime's SDK, and its async handler reconciles", async () => {
    const { mocks } = await runProgram({
      "aws:region": REGION,
      "ecssd:examplesPassword": "Passw0rd-lambda-load",
    });
    const fn = mocks
      .ofType("aws:lambda/function:Function")
      .find((f) => f.name.startsWith("ecssd-reconciler"));
    assert.ok(fn, "the program defines the reconciler function");
    assert.equal(fn.inputs.runtime, "nodejs24.x");
    const bundle = bundleLambda(path.join(REPO, "reconciler", "handler.ts"), {
      target: LAMBDA_NODE_RUNTIMES[RECONCILER_RUNTIME].esbuildTarget,
    });
    assert.equal(`${bundle.fileName.replace(/\.js$/, "")}.handler`, fn.inputs.handler);

    // A live task and one whose task is gone, as in the deployed system.
    const ecs = ecsClient(moto.endpoint);
    const route53 = route53Client(zone.apiUrl);
    const world = new EcsWorld(ecs, moto.endpoint);
    await world.cluster("lambda-load");
    const host = await world.host("lambda-load");
    const [live] = await world.tasks(host, 1);
    const liveSet = srvRecord({ hostId: host.hostId, container: 0, hostPort: 32_100, taskId: live!.taskId });
    const staleSet = srvRecord({ hostId: host.hostId, container: 1, hostPort: 32_101, taskId: "gone-task" });
    await createSets(route53, zone.hostedZoneId, [hostA(host.hostId), liveSet, staleSet]);

    const out = await invoke(bundle, String(fn.inputs.handler), {
      ECSSD_CLUSTERS: "lambda-load",
      ECSSD_CHECK_HEALTH: "false",
      EVENT: JSON.stringify({ "detail-type": "Scheduled Event", source: "aws.events" }),
    });
    const summary = JSON.parse(out.result) as { deleted: { byReason: Record<string, number> } };
    assert.equal(summary.deleted.byReason["task-gone"], 1);
    // Its metrics, through Powertools in the bundle: the deletion under its reason.
    assert.equal(out.emf.length, 1, JSON.stringify(out.emf));
    assert.equal(out.emf[0]?.ReconcilerDeletedTaskGone, 1);
    const left = await readZone(route53, zone.hostedZoneId);
    assert.ok(left.has(recordSetKey(liveSet)), "the live task's record stays");
    assert.ok(!left.has(recordSetKey(staleSet)), "the gone task's record is removed");
    ecs.destroy();
    route53.destroy();
  });

  it("registrar: loads from index.js with only the runtime's SDK, and its async handler registers a task", async () => {
    // The registrar Lambda exists with per-host writing; the coalescer applies task events itself.
    const { mocks } = await runProgram({ "aws:region": REGION, "ecssd:coalescer": "false" });
    const fn = mocks.ofType("aws:lambda/function:Function").find((f) => f.name.startsWith("ecssd-registrar"));
    assert.ok(fn, "the program defines the registrar function");
    assert.equal(fn.inputs.runtime, "nodejs24.x");
    const bundle = bundleLambda(path.join(REPO, "registrar", "handler.ts"), {
      target: LAMBDA_NODE_RUNTIMES[REGISTRAR_RUNTIME].esbuildTarget,
    });
    await holdTaskStates(moto.endpoint, true);
    try {
      const world = new AwsvpcWorld(ecsClient(moto.endpoint), moto.endpoint);
      const cluster = await world.cluster("lambda-registrar");
      const definition = await world.definition("time-fargate", [
        { name: "time", environment: { SERVICE_8080_NAME: "_lambda._tcp" } },
      ]);
      const taskArn = await world.run(cluster, definition);
      const event = taskEvent(await world.describe(cluster, taskArn), { version: 3 });
      const out = await invoke(bundle, String(fn.inputs.handler), {
        ECSSD_CLUSTERS: "lambda-registrar",
        EVENT: JSON.stringify(event),
      });
      assert.equal(JSON.parse(out.result).outcome, "registered", out.result);
      assert.equal(out.emf.length, 1, JSON.stringify(out.emf));
      assert.equal(out.emf[0]?.RegistrarRegistered, 1);
      world.ecs.destroy();
    } finally {
      await holdTaskStates(moto.endpoint, false);
    }
  });
});
