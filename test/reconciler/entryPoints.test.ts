// The two ways the reconciler is run: the Lambda handler (settings from the environment) and
// `ecssd reconcile [--dry-run]` (the same settings; the JSON summary on stdout).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { Route53Client } from "@aws-sdk/client-route-53";
import { type LocalZone, startLocalZone } from "../../local/zone";
import type { ReconcileSummary } from "../../reconciler";
import { handler, logger } from "../../reconciler/handler";
import { recordSetKey } from "../../records";
import type { MotoServer } from "../support/moto";
import { EcsWorld, ecsClient, srvRecord } from "./support/ecsWorld";
import { sharedMoto } from "./support/sharedMoto";
import { createSets, hostA, readZone, route53Client } from "./support/zoneFixtures";

const repoRoot = path.join(__dirname, "..", "..");

function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, "bin", "ecssd.js"), ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("reconciler entry points", function () {
  this.timeout(60_000);
  let moto: MotoServer;
  let zone: LocalZone;
  let ecs: ECSClient;
  let route53: Route53Client;
  let env: Record<string, string>;
  let stale: string;
  let live: string;

  before(async () => {
    [moto, zone] = await Promise.all([sharedMoto(), startLocalZone()]);
    ecs = ecsClient(moto.endpoint);
    route53 = route53Client(zone.apiUrl);
    const world = new EcsWorld(ecs, moto.endpoint);
    await world.cluster("web");
    const host = await world.host("web");
    const tasks = await world.tasks(host, 3);
    const liveSets = tasks.map((t, i) =>
      srvRecord({ hostId: host.hostId, container: i, hostPort: 32_000 + i, taskId: t.taskId }),
    );
    const staleSet = srvRecord({
      hostId: host.hostId,
      container: 9,
      hostPort: 32_009,
      taskId: "stopped-long-ago",
    });
    await createSets(route53, zone.hostedZoneId, [hostA(host.hostId), ...liveSets, staleSet]);
    stale = recordSetKey(staleSet);
    live = recordSetKey(liveSets[0]!);
    env = {
      ECSSD_ROUTE53_ENDPOINT: zone.apiUrl,
      ECSSD_ECS_ENDPOINT: moto.endpoint,
      ECSSD_CLUSTERS: "web",
      ECSSD_CHECK_HEALTH: "false",
      LOG_LEVEL: "silent",
    };
  });
  after(async () => {
    ecs?.destroy();
    route53?.destroy();
    await zone?.close();
  });

  it("`ecssd reconcile --dry-run` prints the JSON summary, looks the zone up by name, and changes nothing", async () => {
    const { code, stdout, stderr } = await runCli(["reconcile", "--dry-run"], env);
    assert.equal(code, 0, stderr);
    const summary = JSON.parse(stdout) as ReconcileSummary;
    assert.equal(summary.dryRun, true);
    assert.equal(summary.zone.id, zone.hostedZoneId);
    assert.equal(summary.planned.byReason["task-gone"], 1);
    assert.equal(summary.deleted.total, 0);
    assert.ok((await readZone(route53, zone.hostedZoneId)).has(stale));
  });

  it("`ecssd reconcile` names every bad setting and exits 1", async () => {
    const { code, stdout, stderr } = await runCli(["reconcile"], {
      ...env,
      ECSSD_HEALTH_TIMEOUT_MS: "soon",
      ECSSD_MAX_DELETE_SHARE: "-1",
    });
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.match(
      stderr,
      /Invalid reconciler config:\n - \[ECSSD_HEALTH_TIMEOUT_MS\] .*\n - \[ECSSD_MAX_DELETE_SHARE\] /,
    );
  });

  it("the Lambda handler reads the environment, deletes what is stale and returns the summary", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, env, { ECSSD_ZONE_ID: zone.hostedZoneId });
    logger.level = "silent";
    try {
      const summary = await handler(
        { "detail-type": "Scheduled Event", source: "aws.events" },
        { getRemainingTimeInMillis: () => 60_000 },
      );
      assert.equal(summary.dryRun, false);
      assert.equal(summary.deleted.byReason["task-gone"], 1);
      const after = await readZone(route53, zone.hostedZoneId);
      assert.ok(!after.has(stale));
      assert.ok(after.has(live));
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
