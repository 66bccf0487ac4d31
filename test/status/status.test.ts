// `ecssd status` against the local zone (Route53) and moto's ECS: a fleet in step, a fleet with drift both ways
// and a stale host, a task too young to be drift, and bad settings. The real command runs as a process.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import {
  type DescribeTasksCommandOutput,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  StartTaskCommand,
} from "@aws-sdk/client-ecs";
import type { Route53Client } from "@aws-sdk/client-route-53";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { taskIdFromArn } from "../../records";
import { readStatus, type StatusReport, statusConfigFromEnv } from "../../status";
import type { MotoServer } from "../kit/moto";
import { EcsWorld, ecsClient, type Host, srvRecord } from "../reconciler/support/ecsWorld";
import { sharedMoto } from "../reconciler/support/sharedMoto";
import { createSets, hostA, route53Client } from "../reconciler/support/zoneFixtures";

const repoRoot = path.join(__dirname, "..", "..");

function runStatus(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, "bin", "ecssd.js"), "status", ...args], {
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
    const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Tasks that declare `_calc._tcp` on container port 8080, as a bridge-mode service's do. */
async function startDeclaringTasks(ecs: ECSClient, host: Host, count: number): Promise<string[]> {
  const def = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: "calc",
      networkMode: "bridge",
      containerDefinitions: [
        {
          name: "calc",
          image: "calc",
          memory: 64,
          portMappings: [{ containerPort: 8080, hostPort: 0 }],
          environment: [{ name: "SERVICE_8080_NAME", value: "_calc._tcp" }],
        },
      ],
    }),
  );
  const started = await ecs.send(
    new StartTaskCommand({
      cluster: host.cluster,
      taskDefinition: def.taskDefinition?.taskDefinitionArn,
      containerInstances: Array.from({ length: count }, () => host.containerInstanceArn),
    }),
  );
  return (started.tasks ?? []).map((t) => taskIdFromArn(t.taskArn) as string);
}

describe("ecssd status (local zone and moto's ECS)", function () {
  this.timeout(120_000);
  let moto: MotoServer;
  let ecs: ECSClient;
  let world: EcsWorld;
  const zones: LocalZone[] = [];
  const clients: Route53Client[] = [];

  /** A fresh local zone holding `sets`, and the environment that points `ecssd status` at it and a cluster. */
  async function zoneWith(
    sets: Parameters<typeof createSets>[2],
    cluster: string,
  ): Promise<{ zone: LocalZone; env: Record<string, string> }> {
    const zone = await startLocalZone();
    zones.push(zone);
    const route53 = route53Client(zone.apiUrl);
    clients.push(route53);
    if (sets.length > 0) await createSets(route53, zone.hostedZoneId, sets);
    const env = {
      ECSSD_ROUTE53_ENDPOINT: zone.apiUrl,
      ECSSD_ECS_ENDPOINT: moto.endpoint,
      ECSSD_ZONE_NAME: zone.zoneName,
      ECSSD_CLUSTERS: cluster,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
    };
    return { zone, env };
  }

  before(async () => {
    moto = await sharedMoto();
    await moto.reset();
    ecs = ecsClient(moto.endpoint);
    world = new EcsWorld(ecs, moto.endpoint);
  });
  after(async () => {
    ecs?.destroy();
    for (const c of clients) c.destroy();
    await Promise.all(zones.map((z) => z.close()));
  });

  it("a fleet in step shows its instances and no drift, and exits 0", async () => {
    await world.cluster("steady");
    const host = await world.host("steady");
    const [t1, t2] = await startDeclaringTasks(ecs, host, 2);
    const { env } = await zoneWith(
      [
        hostA(host.hostId, "10.0.0.5"),
        srvRecord({ hostId: host.hostId, container: 1, hostPort: 32768, taskId: t1 as string }),
        srvRecord({ hostId: host.hostId, container: 2, hostPort: 32769, taskId: t2 as string }),
      ],
      "steady",
    );

    const text = await runStatus([], env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /_calc\._tcp {2}2 instance\(s\)/);
    assert.match(text.stdout, new RegExp(`10\\.0\\.0\\.5:32768 {2}agent on ${host.hostId}, task ${t1}`));
    assert.match(text.stdout, /Drift \(older than 120 s\): none/);
    assert.match(text.stdout, /stale: none/);

    const json = await runStatus(["--json"], env);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as StatusReport;
    assert.equal(report.driftFound, false);
    assert.deepEqual(report.drift, []);
    assert.deepEqual(
      report.services.map((s) => [s.name, s.instances.map((i) => [i.address, i.owner, i.health])]),
      [
        [
          "_calc._tcp",
          [
            ["10.0.0.5:32768", "agent", "reconciler-check"],
            ["10.0.0.5:32769", "agent", "reconciler-check"],
          ],
        ],
      ],
    );
    assert.deepEqual(
      report.hosts.map((h) => [h.hostId, h.stale, h.missing, h.expected]),
      [[host.hostId, false, 0, 2]],
    );
    // The local zone answers GetHostedZoneLimit: 3 of ours beside the apex SOA and NS.
    assert.equal(report.recordSets.used, 5);
    assert.equal(report.recordSets.limit, 10_000);
  });

  describe("a fleet with drift both ways and a stale host", () => {
    let env: Record<string, string>;
    let host: Host;
    let behind: Host;
    let unpublished: string;
    let behindTask: string;
    const goneTask = "0123456789abcdef0123456789abcdef";
    const goneHost = "i-0aaaabbbbccccdddd";

    before(async () => {
      await world.cluster("drifting");
      host = await world.host("drifting");
      behind = await world.host("drifting");
      const [published, missing] = await startDeclaringTasks(ecs, host, 2);
      unpublished = missing as string;
      [behindTask] = (await startDeclaringTasks(ecs, behind, 1)) as [string];
      ({ env } = await zoneWith(
        [
          hostA(host.hostId, "10.0.0.5"),
          srvRecord({ hostId: host.hostId, container: 1, hostPort: 32768, taskId: published as string }),
          // A task ECS does not run, on a live host.
          srvRecord({ hostId: host.hostId, container: 3, hostPort: 32770, taskId: goneTask }),
          // A host that is no container instance.
          hostA(goneHost, "10.0.0.9"),
        ],
        "drifting",
      ));
    });

    it("shows each in text, and exits 2", async () => {
      const { code, stdout, stderr } = await runStatus([], env);
      assert.equal(code, 2, stderr);
      assert.match(
        stdout,
        new RegExp(`task without its record: task ${unpublished} .*declares _calc\\._tcp on port 8080`),
      );
      assert.match(
        stdout,
        new RegExp(`record without its task: SRV _calc\\._tcp\\.\\S+ \\(\\S+\\) names task ${goneTask}`),
      );
      assert.match(
        stdout,
        new RegExp(`record without its host: A ${goneHost}\\.\\S+ .*names host ${goneHost}`),
      );
      assert.match(stdout, new RegExp(`${behind.hostId} {2}no host record {2}STALE .*its agent is behind`));
      assert.match(stdout, new RegExp(`${goneHost} {2}10\\.0\\.0\\.9 {2}GONE`));
      assert.match(stdout, /DRIFT: exit status 2/);
    });

    it("shows each in JSON, and exits 2", async () => {
      const { code, stdout, stderr } = await runStatus(["--json", "--drift-seconds", "30"], env);
      assert.equal(code, 2, stderr);
      const report = JSON.parse(stdout) as StatusReport;
      assert.equal(report.driftFound, true);
      assert.equal(report.driftSeconds, 30);
      const drift = report.drift.map((d) => [d.kind, d.taskId ?? d.hostId, d.drift]).sort();
      assert.deepEqual(
        drift,
        [
          ["record-without-host", goneHost, true],
          ["record-without-task", goneTask, true],
          ["task-without-record", behindTask, true],
          ["task-without-record", unpublished, true],
        ].sort(),
      );
      // A host is behind when any task it has run past the threshold lacks its record, with or without its A record.
      const stale = report.hosts.filter((h) => h.stale).map((h) => [h.hostId, h.address ?? null, h.missing]);
      assert.deepEqual(
        stale.sort(),
        [
          [behind.hostId, null, 1],
          [host.hostId, "10.0.0.5", 1],
        ].sort(),
      );
      const gone = report.hosts.find((h) => h.hostId === goneHost);
      assert.equal(gone?.inEcs, false);
    });
  });

  it("a task younger than the threshold without its record is pending, not drift", async () => {
    await world.cluster("young");
    const host = await world.host("young");
    const [young] = (await startDeclaringTasks(ecs, host, 1)) as [string];
    const { zone, env } = await zoneWith([hostA(host.hostId, "10.0.0.5")], "young");
    // moto's tasks carry no start time; ECS reports one. Add it to DescribeTasks' answer, as ECS would.
    const started = new Date(Date.now() - 10_000);
    const reporting = ecsClient(moto.endpoint);
    reporting.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === "DescribeTasksCommand") {
          const out = result.output as DescribeTasksCommandOutput;
          out.tasks = (out.tasks ?? []).map((t) => ({ ...t, startedAt: started }));
        }
        return result;
      },
      { step: "initialize", name: "ecsStartTimes" },
    );
    const route53 = route53Client(zone.apiUrl);
    clients.push(route53, reporting as never);
    const read = (driftSeconds: string) =>
      readStatus({ route53, ecs: reporting }, statusConfigFromEnv(env, { driftSeconds }));

    const patient = await read("60");
    assert.equal(patient.driftFound, false);
    assert.deepEqual(
      patient.drift.map((d) => [d.kind, d.taskId, d.drift, d.ageSeconds !== undefined && d.ageSeconds >= 10]),
      [["task-without-record", young, false, true]],
    );

    const strict = await read("5");
    assert.equal(strict.driftFound, true);
    assert.deepEqual(
      strict.drift.map((d) => [d.taskId, d.drift]),
      [[young, true]],
    );
    assert.equal(strict.hosts.find((h) => h.hostId === host.hostId)?.stale, true);
  });

  it("a bad setting exits 1 and names it", async () => {
    const { env } = await zoneWith([], "steady");
    const { code, stdout, stderr } = await runStatus(["--drift-seconds", "soon"], {
      ...env,
      ECSSD_ZONE_NAME: "not a zone!",
    });
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.match(stderr, /Invalid status config:/);
    assert.match(stderr, /\[ECSSD_ZONE_NAME\]/);
    assert.match(stderr, /\[--drift-seconds\] /);
  });

  it("a cluster ECS does not know exits 1 and names it", async () => {
    const { env } = await zoneWith([], "nowhere");
    const { code, stderr } = await runStatus([], env);
    assert.equal(code, 1);
    assert.match(stderr, /ECS cluster "nowhere" does not exist; check ECSSD_CLUSTERS/);
  });
});
