// The registrar end to end: events built from moto's ECS (awsvpc tasks on Fargate, task definitions with
// SERVICE_<port>_* declarations), the real SDK clients, and the local zone's Route53 API; answers checked with
// dig on the wire.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { DescribeTasksCommandOutput, ECSClient } from "@aws-sdk/client-ecs";
import { ListResourceRecordSetsCommand, type Route53Client } from "@aws-sdk/client-route-53";
import pino from "pino";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { registrarConfigFromEnv } from "../../registrar/config";
import { applyLogged, outcomeWriter } from "../../registrar/handler";
import { TaskNotCaughtUpError } from "../../registrar/registrar";
import { Registrar } from "../../registrar/registrarWithClients";
import { TaskEventError } from "../../registrar/taskStateChange";
import { route53Client } from "../../route53";
import { digShortCanonical as dig } from "../kit/dig";
import { emfSink } from "../metrics/emfLines";
import { ecsClient } from "../reconciler/support/ecsWorld";
import { sharedMoto } from "../reconciler/support/sharedMoto";
import type { MotoServer } from "../support/moto";
import { AwsvpcWorld, holdTaskStates, taskEvent } from "./support/awsvpcWorld";

const run = promisify(execFile);
const ZONE = "servicediscovery.internal";
const repo = path.join(__dirname, "..", "..");

describe("registrar: awsvpc tasks from ECS Task State Change events (moto ECS, local zone)", function () {
  this.timeout(60_000);
  let moto: MotoServer;
  let zone: LocalZone;
  let route53: Route53Client;
  let world: AwsvpcWorld;
  let cluster: string;
  let registrar: Registrar;

  before(async () => {
    [moto, zone] = await Promise.all([sharedMoto(), startLocalZone({ zoneName: ZONE })]);
    await moto.reset();
    await holdTaskStates(moto.endpoint, true);
    route53 = route53Client({ endpoint: zone.apiUrl });
    const ecs = ecsClient(moto.endpoint);
    world = new AwsvpcWorld(ecs, moto.endpoint);
    cluster = await world.cluster("apps");
    const config = registrarConfigFromEnv({
      ECSSD_ZONE_NAME: ZONE,
      ECSSD_ZONE_ID: zone.hostedZoneId,
      ECSSD_CLUSTERS: "apps",
    });
    registrar = new Registrar({ route53, ecs }, config);
  });

  after(async () => {
    await holdTaskStates(moto.endpoint, false);
    route53.destroy();
    await zone.close();
  });

  /** Runs a task of `definition`; returns its id, ENI address and the events of its life. */
  async function start(definition: string) {
    const taskArn = await world.run(cluster, definition);
    const task = await world.describe(cluster, taskArn);
    const address = (task.attachments as { details: { name: string; value: string }[] }[])[0]?.details.find(
      (d) => d.name === "privateIPv4Address",
    )?.value as string;
    const taskId = taskArn.split("/").pop() as string;
    return {
      taskArn,
      taskId,
      address,
      running: (version = 3) => taskEvent(task, { version, lastStatus: "RUNNING", desiredStatus: "RUNNING" }),
      stopping: (version = 4) =>
        taskEvent(task, { version, lastStatus: "RUNNING", desiredStatus: "STOPPED" }),
    };
  }

  it("registers a RUNNING task's address and port, and removes both at its first stopping event", async () => {
    const def = await world.definition("time-fargate", [
      { name: "time", environment: { SERVICE_8080_NAME: "_time._tcp", SERVICE_8080_WEIGHT: "5" } },
    ]);
    const t = await start(def);
    const r = await registrar.apply(t.running());
    assert.equal(r.outcome, "registered", r.reason);
    assert.equal(r.records, 2);
    assert.deepEqual(await dig(zone, "SRV", `_time._tcp.${ZONE}`), [`1 5 8080 ${t.taskId}.${ZONE}`]);
    assert.deepEqual(await dig(zone, "A", `${t.taskId}.${ZONE}`), [t.address]);

    await world.stop(cluster, t.taskArn);
    const s = await registrar.apply(t.stopping());
    assert.equal(s.outcome, "deregistered", s.reason);
    assert.equal(s.records, 2);
    assert.deepEqual(await dig(zone, "SRV", `_time._tcp.${ZONE}`), []);
    assert.deepEqual(await dig(zone, "A", `${t.taskId}.${ZONE}`), []);
  });

  it("takes a repeated stop as done, and never re-registers a stopped task from a late RUNNING", async () => {
    const def = await world.definition("late", [
      { name: "web", environment: { SERVICE_80_NAME: "_late._tcp" } },
    ]);
    const t = await start(def);
    assert.equal((await registrar.apply(t.running(3))).outcome, "registered");
    assert.equal((await registrar.apply(t.running(3))).outcome, "registered", "a duplicate is harmless");
    await world.stop(cluster, t.taskArn);
    assert.equal((await registrar.apply(t.stopping(4))).records, 2);
    const again = await registrar.apply(t.stopping(4));
    assert.equal(again.outcome, "deregistered");
    assert.equal(again.records, 0, "nothing left to delete");
    // The RUNNING event delivered late: ECS now says STOPPED, and the newer view wins.
    const late = await registrar.apply(t.running(3));
    assert.equal(late.outcome, "deregistered", late.reason);
    assert.deepEqual(await dig(zone, "SRV", `_late._tcp.${ZONE}`), []);
  });

  it("registers every declared port of a task, and the good ports of one with a bad declaration", async () => {
    const def = await world.definition("multi", [
      {
        name: "api",
        environment: { SERVICE_8080_NAME: "_api._tcp", SERVICE_9090_NAME: "_admin._tcp" },
        dockerLabels: { SERVICE_7070_NAME: "_grpc._tcp", SERVICE_7070_PRIORITY: "not-a-number" },
      },
    ]);
    const t = await start(def);
    const r = await registrar.apply(t.running());
    assert.equal(r.outcome, "registered");
    assert.deepEqual(r.services.sort(), ["_admin._tcp", "_api._tcp"]);
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]?.message ?? "", /PRIORITY/);
    assert.deepEqual(await dig(zone, "SRV", `_api._tcp.${ZONE}`), [`1 1 8080 ${t.taskId}.${ZONE}`]);
    assert.deepEqual(await dig(zone, "SRV", `_admin._tcp.${ZONE}`), [`1 1 9090 ${t.taskId}.${ZONE}`]);
    assert.deepEqual(await dig(zone, "SRV", `_grpc._tcp.${ZONE}`), []);
  });

  it("holds awsvpc tasks to the agent's service owners (ECSSD_SERVICE_OWNERS)", async () => {
    const guarded = new Registrar(
      { route53, ecs: world.ecs },
      registrarConfigFromEnv({
        ECSSD_ZONE_NAME: ZONE,
        ECSSD_ZONE_ID: zone.hostedZoneId,
        ECSSD_CLUSTERS: "apps",
        ECSSD_SERVICE_OWNERS: JSON.stringify({ "_payments._tcp": ["payments"] }),
      }),
    );
    const intruder = await world.definition("intruder", [
      { name: "x", environment: { SERVICE_80_NAME: "_payments._tcp", SERVICE_81_NAME: "_intruder._tcp" } },
    ]);
    const t = await start(intruder);
    const r = await guarded.apply(t.running());
    assert.equal(r.outcome, "registered");
    assert.deepEqual(r.services, ["_intruder._tcp"]);
    assert.deepEqual(
      r.problems.map((p) => p.code),
      ["service-not-owned"],
    );
    assert.match(r.problems[0]?.message ?? "", /only by the task families payments.*"intruder"/);
    assert.deepEqual(await dig(zone, "SRV", `_payments._tcp.${ZONE}`), []);
    assert.equal((await dig(zone, "SRV", `_intruder._tcp.${ZONE}`)).length, 1);
    assert.throws(
      () =>
        registrarConfigFromEnv({ ECSSD_ZONE_NAME: ZONE, ECSSD_SERVICE_OWNERS: "{", ECSSD_SRV_TTL: "ten" }),
      (err: Error) => /ECSSD_SERVICE_OWNERS/.test(err.message) && /ECSSD_SRV_TTL/.test(err.message),
    );
  });

  it("refuses a name the owners do not list when the namespace is closed (ECSSD_SERVICE_OWNERS_CLOSED)", async () => {
    const closed = new Registrar(
      { route53, ecs: world.ecs },
      registrarConfigFromEnv({
        ECSSD_ZONE_NAME: ZONE,
        ECSSD_ZONE_ID: zone.hostedZoneId,
        ECSSD_CLUSTERS: "apps",
        ECSSD_SERVICE_OWNERS: JSON.stringify({ "_ledger._tcp": ["ledger"] }),
        ECSSD_SERVICE_OWNERS_CLOSED: "true",
      }),
    );
    const ledger = await world.definition("ledger", [
      { name: "x", environment: { SERVICE_80_NAME: "_ledger._tcp", SERVICE_81_NAME: "_unlisted._tcp" } },
    ]);
    const t = await start(ledger);
    const r = await closed.apply(t.running());
    assert.equal(r.outcome, "registered");
    assert.deepEqual(r.services, ["_ledger._tcp"], "its own listed name is registered");
    assert.deepEqual(
      r.problems.map((p) => [p.code, p.subject]),
      [["service-not-owned", "SERVICE_81_NAME"]],
    );
    assert.match(
      r.problems[0]?.message ?? "",
      /_unlisted._tcp is not listed in ECSSD_SERVICE_OWNERS.*closed/,
    );
    assert.deepEqual(await dig(zone, "SRV", `_unlisted._tcp.${ZONE}`), []);
    assert.deepEqual(await dig(zone, "SRV", `_ledger._tcp.${ZONE}`), [`1 1 80 ${t.taskId}.${ZONE}`]);
  });

  // Finding 4 of issue 25, for awsvpc tasks: before the cap, every declared port became a record set.
  it("publishes at most ECSSD_MAX_PORTS_PER_CONTAINER ports per container, as the agent does, with one line and the count", async () => {
    const capped = new Registrar(
      { route53, ecs: world.ecs },
      registrarConfigFromEnv({
        ECSSD_ZONE_NAME: ZONE,
        ECSSD_ZONE_ID: zone.hostedZoneId,
        ECSSD_CLUSTERS: "apps",
        ECSSD_MAX_PORTS_PER_CONTAINER: "2",
      }),
    );
    const def = await world.definition("wide", [
      {
        name: "noisy",
        environment: Object.fromEntries(
          [9004, 9002, 9003, 9001].map((p) => [`SERVICE_${p}_NAME`, "_wide._tcp"]),
        ),
      },
      { name: "quiet", environment: { SERVICE_80_NAME: "_narrow._tcp" } },
    ]);
    const t = await start(def);
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const emf = emfSink();
    const r = await applyLogged(capped, t.running(), log, undefined, outcomeWriter(t.running(), emf.write));
    assert.equal(r.outcome, "registered", "reason" in r ? r.reason : "");
    assert.deepEqual(await dig(zone, "SRV", `_wide._tcp.${ZONE}`), [
      `1 1 9001 ${t.taskId}.${ZONE}`,
      `1 1 9002 ${t.taskId}.${ZONE}`,
    ]);
    assert.deepEqual(await dig(zone, "SRV", `_narrow._tcp.${ZONE}`), [`1 1 80 ${t.taskId}.${ZONE}`]);
    const skipped = lines.filter((l) => l.problem === "too-many-ports");
    assert.equal(skipped.length, 1, "one line for the container");
    assert.equal(skipped[0]?.container, "noisy");
    assert.equal(skipped[0]?.level, 40, "a warning");
    assert.match(
      String(skipped[0]?.msg),
      /declares 4 ports, more than the 2 .* other 2 \(from port 9003 up\)/,
    );
    assert.equal(emf.docs[0]?.RegistrarPortsOverCap, 2, "each port left out, counted");
    assert.equal(emf.docs[0]?.RegistrarRegistered, 1);

    await world.stop(cluster, t.taskArn);
    const s = await capped.apply(t.stopping());
    assert.equal(s.outcome, "deregistered", s.reason);
    assert.equal(s.records, 4, "its A record and its three SRV records");
    assert.deepEqual(await dig(zone, "SRV", `_wide._tcp.${ZONE}`), []);
  });

  it("ignores other clusters' tasks and bridge-mode tasks (the agent's)", async () => {
    const other = await world.cluster("payments");
    const def = await world.definition("pay", [
      { name: "pay", environment: { SERVICE_80_NAME: "_pay._tcp" } },
    ]);
    const taskArn = await world.run(other, def);
    const task = await world.describe(other, taskArn);
    const r = await registrar.apply(taskEvent(task, { version: 3 }));
    assert.equal(r.outcome, "ignored");
    assert.match(r.reason, /not one of ours/);

    const bridge = await world.definition(
      "bridge-calc",
      [{ name: "calc", environment: { SERVICE_80_NAME: "_bridge._tcp" } }],
      "bridge",
    );
    const t = await start(def);
    const b = await registrar.apply(
      taskEvent({ ...(await world.describe(cluster, t.taskArn)), taskDefinitionArn: bridge }, { version: 3 }),
    );
    assert.equal(b.outcome, "ignored");
    assert.match(b.reason, /agent/);
    assert.deepEqual(await dig(zone, "SRV", `_bridge._tcp.${ZONE}`), []);
  });

  it("fails (so EventBridge retries) when the task definition cannot be read, with nothing written", async () => {
    const def = await world.definition("gone", [
      { name: "g", environment: { SERVICE_80_NAME: "_gone._tcp" } },
    ]);
    const t = await start(def);
    const event = t.running() as { detail: { taskDefinitionArn: string } };
    event.detail.taskDefinitionArn = def.replace(/:\d+$/, ":999");
    const before = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.hostedZoneId }));
    await assert.rejects(registrar.apply(event), /999|Unable|not found|ClientException/i);
    const after = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.hostedZoneId }));
    assert.deepEqual(after.ResourceRecordSets, before.ResourceRecordSets);
  });

  describe("an event whose fields disagree with DescribeTasks (anyone with invoke rights can send one)", () => {
    /** moto leaves `version` out of DescribeTasks; AWS gives it. This client's answers carry `version()`. */
    function versioned(version: () => number): ECSClient {
      const client = ecsClient(moto.endpoint);
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const result = await next(args);
          if (context.commandName === "DescribeTasksCommand")
            for (const t of (result.output as DescribeTasksCommandOutput).tasks ?? []) t.version = version();
          return result;
        },
        { step: "initialize", name: "describedVersion" },
      );
      return client;
    }
    const config = () =>
      registrarConfigFromEnv({
        ECSSD_ZONE_NAME: ZONE,
        ECSSD_ZONE_ID: zone.hostedZoneId,
        ECSSD_CLUSTERS: "apps",
      });

    it("registers DescribeTasks' definition, overrides and address, never the event's", async () => {
      const def = await world.definition("truth", [
        { name: "web", environment: { SERVICE_8080_NAME: "_truth._tcp" } },
      ]);
      const other = await world.definition("claimed", [
        { name: "web", environment: { SERVICE_8080_NAME: "_claimed._tcp" } },
      ]);
      const t = await start(def);
      let describedVersion = 4;
      const ecs = versioned(() => describedVersion);
      const r = new Registrar({ route53, ecs }, config());
      const lie = async (version: number) =>
        taskEvent(await world.describe(cluster, t.taskArn), {
          version,
          lastStatus: "RUNNING",
          desiredStatus: "RUNNING",
          taskDefinitionArn: other,
          overrides: {
            containerOverrides: [
              { name: "web", environment: [{ name: "SERVICE_81_NAME", value: "_liar._tcp" }] },
            ],
          },
          attachments: [{ type: "eni", details: [{ name: "privateIPv4Address", value: "203.0.113.9" }] }],
        });
      // Newer than DescribeTasks' answer: nothing is taken from it; the retry finds ECS caught up.
      await assert.rejects(r.apply(await lie(5)), TaskNotCaughtUpError);
      assert.deepEqual(await dig(zone, "A", `${t.taskId}.${ZONE}`), []);
      describedVersion = 5;
      const done = await r.apply(await lie(5));
      assert.equal(done.outcome, "registered", done.reason);
      assert.deepEqual(done.services, ["_truth._tcp"]);
      assert.deepEqual(await dig(zone, "A", `${t.taskId}.${ZONE}`), [t.address]);
      assert.deepEqual(await dig(zone, "SRV", `_truth._tcp.${ZONE}`), [`1 1 8080 ${t.taskId}.${ZONE}`]);
      assert.deepEqual(await dig(zone, "SRV", `_claimed._tcp.${ZONE}`), []);
      assert.deepEqual(await dig(zone, "SRV", `_liar._tcp.${ZONE}`), []);
      ecs.destroy();
    });

    it("never registers a task DescribeTasks does not return", async () => {
      const def = await world.definition("ghost", [
        { name: "g", environment: { SERVICE_8080_NAME: "_ghost._tcp" } },
      ]);
      const t = await start(def);
      const ghostId = "0123456789abcdef0123456789abcdef";
      const event = taskEvent(await world.describe(cluster, t.taskArn), {
        version: 99,
        lastStatus: "RUNNING",
        desiredStatus: "RUNNING",
        taskArn: t.taskArn.replace(t.taskId, ghostId),
      });
      const r = await registrar.apply(event);
      assert.equal(r.outcome, "deregistered", r.reason);
      assert.deepEqual(await dig(zone, "A", `${ghostId}.${ZONE}`), []);
      assert.deepEqual(await dig(zone, "SRV", `_ghost._tcp.${ZONE}`), []);
    });
  });

  it("rejects a malformed event with an error naming the field", async () => {
    const def = await world.definition("bad", [{ name: "b", environment: { SERVICE_80_NAME: "_bad._tcp" } }]);
    const t = await start(def);
    const event = t.running() as { detail: Record<string, unknown> };
    event.detail.version = "three";
    await assert.rejects(registrar.apply(event), (err: Error) => {
      assert.ok(err instanceof TaskEventError);
      assert.equal(err.field, "detail.version");
      return true;
    });
  });

  it("ecssd task-event applies one event from a file, with the reconciler's settings", async () => {
    const def = await world.definition("cli", [{ name: "c", environment: { SERVICE_80_NAME: "_cli._tcp" } }]);
    const t = await start(def);
    const { writeFileSync, mkdtempSync } = await import("node:fs");
    const dir = mkdtempSync(path.join(require("node:os").tmpdir(), "ecssd-event-"));
    const file = path.join(dir, "running.json");
    writeFileSync(file, JSON.stringify(t.running()));
    const { stdout } = await run(process.execPath, [path.join(repo, "bin", "ecssd.js"), "task-event", file], {
      env: {
        ...process.env,
        ECSSD_ZONE_NAME: ZONE,
        ECSSD_ROUTE53_ENDPOINT: zone.apiUrl,
        ECSSD_ECS_ENDPOINT: moto.endpoint,
        ECSSD_CLUSTERS: "apps",
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "testing",
        AWS_SECRET_ACCESS_KEY: "testing",
      },
      timeout: 30_000,
    });
    assert.equal(JSON.parse(stdout).outcome, "registered");
    assert.deepEqual(await dig(zone, "SRV", `_cli._tcp.${ZONE}`), [`1 1 80 ${t.taskId}.${ZONE}`]);
  });
});
