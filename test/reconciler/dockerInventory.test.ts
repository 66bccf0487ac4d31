// reconcile() in the local stack's shape: the local Docker engine is the truth (real containers from the
// project's base image), the local zone holds the records, the one host has a configured id.
import assert from "node:assert/strict";
import type { Route53Client } from "@aws-sdk/client-route-53";
import Docker from "dockerode";
import pino from "pino";
import { baseImage } from "../../images/imageBuilder";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { DockerInventory, reconcile, reconcilerConfig } from "../../reconciler";
import { instanceRecordSet, parseServiceDeclarations, recordSetKey } from "../../records";
import { createSets, hostA, readZone, route53Client } from "./support/zoneFixtures";

const HOST = "local-host-1";
const silent = pino({ level: "silent" });
const calc = parseServiceDeclarations(["SERVICE_8080_NAME=_calc._tcp"], {}).services[0]!;

function srvFor(containerId: string, hostPort: number, taskId?: string, service = calc) {
  const r = instanceRecordSet({
    zone: "servicediscovery.internal",
    hostId: HOST,
    containerId,
    service,
    hostPort,
    ...(taskId && { taskId }),
  });
  if ("problems" in r) throw new Error(JSON.stringify(r.problems));
  return r.recordSet;
}

describe("reconcile with the local Docker engine as the truth", function () {
  this.timeout(60_000);
  const docker = new Docker();
  const created: Docker.Container[] = [];
  let zone: LocalZone;
  let route53: Route53Client;
  let image: string;

  before(async () => {
    image = await baseImage();
    zone = await startLocalZone();
    route53 = route53Client(zone.apiUrl);
  });
  after(async () => {
    await Promise.all(created.map((c) => c.remove({ force: true }).catch(() => undefined)));
    route53?.destroy();
    await zone?.close();
  });

  /** A container; `network: "publish"` publishes container port 8080 on a host port Docker picks. */
  async function container(
    state: "running" | "paused" | "exited",
    network: "none" | "publish" | "host" = "none",
  ): Promise<string> {
    const c = await docker.createContainer({
      Image: image,
      Cmd: ["node", "-e", "setInterval(() => {}, 1e9)"],
      Labels: { "ecssd.test": "reconciler" },
      ...(network === "publish" && { ExposedPorts: { "8080/tcp": {} } }),
      HostConfig: {
        NetworkMode: network === "publish" ? "bridge" : network,
        AutoRemove: false,
        ...(network === "publish" && {
          PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] },
        }),
      },
    });
    created.push(c);
    await c.start();
    if (state === "paused") await c.pause();
    if (state === "exited") await c.stop({ t: 0 });
    return c.id;
  }

  /** The host port Docker published container port 8080 on. */
  async function publishedPort(id: string): Promise<number> {
    const inspected = await docker.getContainer(id).inspect();
    return Number(inspected.NetworkSettings.Ports["8080/tcp"]?.[0]?.HostPort);
  }

  it("keeps records of running containers and deletes those of paused, exited and vanished ones", async () => {
    const [running, paused, exited] = await Promise.all([
      container("running", "publish"),
      container("paused"),
      container("exited"),
    ]);
    const port = await publishedPort(running);
    const keep = [srvFor(running, port), srvFor(running.slice(0, 12), port, "task-in-a-label"), hostA(HOST)];
    // Its SetIdentifier copied under another name at a port it does not publish: Docker contradicts it.
    const evil = parseServiceDeclarations(["SERVICE_8080_NAME=_evil._tcp"], {}).services[0]!;
    const forged = srvFor(running, port === 41_009 ? 41_010 : 41_009, undefined, evil);
    const stale = [
      forged,
      srvFor(paused, 41_002),
      srvFor(exited, 41_003),
      srvFor("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 41_004),
      hostA("old-local-host"),
    ];
    await createSets(route53, zone.hostedZoneId, [...keep, ...stale]);

    const summary = await reconcile(
      { route53, inventory: new DockerInventory({ docker, hostId: HOST }), logger: silent },
      reconcilerConfig({ zoneId: zone.hostedZoneId, checkHealth: false, maxDeleteShare: 1 }),
    );

    const after = await readZone(route53, zone.hostedZoneId);
    for (const s of keep) assert.ok(after.has(recordSetKey(s)), `${recordSetKey(s)} should stay`);
    for (const s of stale) assert.ok(!after.has(recordSetKey(s)), `${recordSetKey(s)} should go`);
    assert.equal(summary.inventory.kind, "docker");
    assert.deepEqual(summary.deleted.byReason, {
      "host-gone": 1,
      "task-gone": 0,
      "container-gone": 3,
      unhealthy: 0,
      "not-owned": 0,
      forged: 1,
    });
  });

  it("reconciles a zone of more than 300 record sets, reading every page", async () => {
    // Host network mode: each container port is published as itself.
    const running = await container("running", "host");
    const vanished = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
    // One SRV set per container port, spread over names: Route53 allows 100 multivalue sets per name.
    const sets = (containerId: string) =>
      Array.from({ length: 350 }, (_, i) => {
        const service = parseServiceDeclarations([`SERVICE_${1000 + i}_NAME=_bulk${i % 10}._tcp`], {})
          .services[0]!;
        const r = instanceRecordSet({
          zone: "servicediscovery.internal",
          hostId: HOST,
          containerId,
          service,
          hostPort: 1000 + i,
        });
        if ("problems" in r) throw new Error(JSON.stringify(r.problems));
        return r.recordSet;
      });
    const live = sets(running);
    const stale = sets(vanished);
    await createSets(route53, zone.hostedZoneId, [...live, ...stale]);

    const summary = await reconcile(
      { route53, inventory: new DockerInventory({ docker, hostId: HOST }), logger: silent },
      reconcilerConfig({ zoneId: zone.hostedZoneId, checkHealth: false }),
    );

    assert.ok(summary.records.seen > 700);
    assert.equal(summary.apiCalls.byOperation.ListResourceRecordSets, Math.ceil(summary.records.seen / 300));
    assert.equal(summary.deleted.byReason["container-gone"], 350);
    const after = await readZone(route53, zone.hostedZoneId);
    assert.ok(live.every((s) => after.has(recordSetKey(s))));
    assert.ok(stale.every((s) => !after.has(recordSetKey(s))));
  });

  it("builds the docker inventory from the configuration (ECSSD_INVENTORY=docker)", async () => {
    const summary = await reconcile(
      { route53, docker, logger: silent },
      reconcilerConfig({
        zoneId: zone.hostedZoneId,
        checkHealth: false,
        inventory: "docker",
        hostId: HOST,
        dryRun: true,
      }),
    );
    assert.equal(summary.inventory.kind, "docker");
    assert.equal(summary.apiCalls.byOperation["Docker.ListContainers"], 1);
  });
});
