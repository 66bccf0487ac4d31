// Two stacks in one brought zone, as their users meet it: each stack's agent (the real host agent, fed by an
// in-memory host) and registrar write into ONE local zone, each stack's reconciler runs with its own
// inventory (its own hosts and tasks, the safety valve off so that only ownership protects the other
// stack), then stack A is destroyed (its destroy-time cleanup). Stack B's records must all survive; stack A's
// must all be gone. An unattributed set (written before deployments had names) of a host no stack can prove
// its own is left alone by everyone, and counted; one of A's own host is taken over by A's agent.
import assert from "node:assert/strict";
import pino from "pino";
import type {
  ContainerDescription,
  ContainerEvent,
  ContainerSource,
  EventSubscription,
} from "../../agent/containerSource";
import { type HostAgent, startHostAgent } from "../../agent/hostAgent";
import { removeOwnRecordSets } from "../../infra/ownRecordRemoval";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { configFromEnv } from "../../reconciler/config";
import type { Inventory } from "../../reconciler/inventory";
import { reconcile } from "../../reconciler/reconcileWithClients";
import {
  hostRecordSet,
  instanceRecordSet,
  parseServiceDeclarations,
  parseSetIdentifier,
  type RecordSet,
  recordSetKey,
  type ServiceDeclaration,
  type ZoneRecordSet,
} from "../../records";
import { Route53TaskZone } from "../../registrar/route53TaskZone";
import { taskRecordSets } from "../../registrar/taskRecords";
import { changeRecordSets, listZoneRecordSets, type Route53Call, route53Client } from "../../route53";
import { agentConfig } from "../kit/agentFixtures";

const quiet = pino({ level: "silent" });
const ZONE = "shared.internal";
const CALC: ServiceDeclaration = {
  containerPort: 8080,
  service: "calc",
  protocol: "tcp",
  srvName: "_calc._tcp",
  priority: 1,
  weight: 1,
};

/** A host that exists only as Docker-shaped data. */
class MemoryHost implements ContainerSource {
  readonly containers = new Map<string, ContainerDescription>();
  async subscribe(_onEvent: (e: ContainerEvent) => void): Promise<EventSubscription> {
    return { close: () => {} };
  }
  async listRunning(): Promise<string[]> {
    return [...this.containers.keys()];
  }
  async inspect(id: string): Promise<ContainerDescription | undefined> {
    return structuredClone(this.containers.get(id));
  }
}

interface Stack {
  readonly deployment: string;
  readonly hostId: string;
  /** The ECS task of the host's container, and the awsvpc task the registrar keeps. */
  readonly containerTask: string;
  readonly awsvpcTask: string;
  readonly containerId: string;
  agent?: HostAgent;
}

const A: Stack = {
  deployment: "shop-a",
  hostId: "i-0000000a",
  containerTask: "a".repeat(32),
  awsvpcTask: "1".repeat(32),
  containerId: "a1".repeat(32),
};
const B: Stack = {
  deployment: "shop-b",
  hostId: "i-0000000b",
  containerTask: "b".repeat(32),
  awsvpcTask: "2".repeat(32),
  containerId: "b2".repeat(32),
};

function calcContainer(stack: Stack): ContainerDescription {
  return {
    Id: stack.containerId,
    Name: `/calc-${stack.deployment}`,
    Config: {
      Env: ["SERVICE_8080_NAME=_calc._tcp"],
      Labels: {
        "com.amazonaws.ecs.task-arn": `arn:aws:ecs:us-east-1:123456789012:task/${stack.deployment}/${stack.containerTask}`,
        "com.amazonaws.ecs.task-definition-family": "calc",
      },
    },
    State: { Running: true, Paused: false, Restarting: false },
    HostConfig: { NetworkMode: "bridge" },
    NetworkSettings: { Ports: { "8080/tcp": [{ HostIp: "0.0.0.0", HostPort: "32801" }] } },
  };
}

/** Each stack's inventory: its own host and its own tasks, nothing of the other stack. */
function inventoryOf(stack: Stack): Inventory {
  const live = (taskId: string, hostId?: string) => ({
    taskId,
    taskArn: `arn:aws:ecs:us-east-1:123456789012:task/${stack.deployment}/${taskId}`,
    cluster: stack.deployment,
    family: "calc",
    ...(hostId !== undefined && { hostId }),
  });
  return {
    kind: "ecs",
    snapshot: async () => ({
      hosts: new Set([stack.hostId]),
      tasks: new Map([
        [stack.containerTask, live(stack.containerTask, stack.hostId)],
        [stack.awsvpcTask, live(stack.awsvpcTask)],
      ]),
      counts: { tasks: 2 },
    }),
  };
}

function unwrap(result: { recordSet: RecordSet } | { problems: unknown[] }): RecordSet {
  if ("problems" in result) throw new Error(JSON.stringify(result.problems));
  return result.recordSet;
}

describe("two stacks share one zone (issue 25, finding 3)", function () {
  this.timeout(60_000);
  let zone: LocalZone;
  const client = () => route53Client({ endpoint: zone.apiUrl });
  const call: Route53Call = (_operation, send) => send();

  before(async () => {
    zone = await startLocalZone({ zoneName: ZONE });
  });
  after(async () => {
    for (const s of [A, B]) await s.agent?.stop();
    await zone.close();
  });

  async function startStack(stack: Stack): Promise<void> {
    const host = new MemoryHost();
    host.containers.set(stack.containerId, calcContainer(stack));
    const config = agentConfig(zone, stack.hostId, {
      ECSSD_DEPLOYMENT: stack.deployment,
      // The in-memory host has no ECS agent beside it: its labels are believed.
      ECSSD_ECS_AGENT_URL: "off",
    });
    stack.agent = await startHostAgent(config, { log: quiet, route53: client(), source: host });
    await stack.agent.loop.whenConverged();
    // The registrar's writer: the task's records as it builds them, written through its zone.
    const built = taskRecordSets(
      { taskId: stack.awsvpcTask, family: "calc" },
      "10.0.9.9",
      [
        {
          container: "calc",
          hasHealthCheck: false,
          declarations: parseServiceDeclarations(["SERVICE_8080_NAME=_calc._tcp"], {}),
        },
      ],
      { zone: ZONE, srvTtl: 10, routing: "multivalue", deployment: stack.deployment },
    );
    assert.equal(built.recordSets.length, 2, JSON.stringify(built.problems));
    const c = client();
    await new Route53TaskZone(c, async () => zone.hostedZoneId, call, stack.deployment).upsert(
      built.recordSets,
    );
    c.destroy();
  }

  async function zoneSets(): Promise<ZoneRecordSet[]> {
    const c = client();
    try {
      return await listZoneRecordSets(c, zone.hostedZoneId);
    } finally {
      c.destroy();
    }
  }

  function reconcilerOf(stack: Stack) {
    const c = client();
    const config = configFromEnv({
      ECSSD_ZONE_NAME: ZONE,
      ECSSD_ZONE_ID: zone.hostedZoneId,
      ECSSD_DEPLOYMENT: stack.deployment,
      ECSSD_CHECK_HEALTH: "false",
      // The safety valve off: only ownership keeps one stack from the other's records.
      ECSSD_MAX_DELETE_SHARE: "1",
    });
    return reconcile({ route53: c, inventory: inventoryOf(stack), logger: quiet }, config).finally(() =>
      c.destroy(),
    );
  }

  it("each stack's writers, reconciler and destroy-time cleanup touch only its own records", async () => {
    // Unattributed sets, as today's writers leave them: one of a host nobody can prove its own (a gone host
    // of some stack), one of A's own host (its agent takes it over).
    const legacyGone = unwrap(
      instanceRecordSet({
        zone: ZONE,
        hostId: "i-0000000f",
        containerId: "f".repeat(24),
        service: CALC,
        hostPort: 32999,
      }),
    );
    const legacyGoneHost = unwrap(hostRecordSet({ zone: ZONE, hostId: "i-0000000f", address: "10.0.9.15" }));
    const legacyOfA = unwrap(
      instanceRecordSet({
        zone: ZONE,
        hostId: A.hostId,
        containerId: "e".repeat(24),
        service: CALC,
        hostPort: 32998,
      }),
    );
    const c = client();
    await changeRecordSets(
      c,
      zone.hostedZoneId,
      [legacyGone, legacyGoneHost, legacyOfA].map((recordSet) => ({ action: "CREATE" as const, recordSet })),
      "test: written before deployments had names",
    );
    c.destroy();

    await startStack(A);
    await startStack(B);
    const written = await zoneSets();
    const of = (stack: Stack) =>
      written.filter((s) => parseSetIdentifier(s.SetIdentifier)?.deployment === stack.deployment);
    // Each stack: its host's A and SRV sets (the agent's), its task's A and SRV sets (the registrar's).
    assert.equal(of(A).length, 4, JSON.stringify(of(A)));
    assert.equal(of(B).length, 4, JSON.stringify(of(B)));
    const keys = (sets: readonly ZoneRecordSet[]) => sets.map(recordSetKey).sort();
    assert.ok(
      !keys(written).includes(recordSetKey(legacyOfA)),
      "A's agent rewrote its own host's unattributed set",
    );

    const summaryA = await reconcilerOf(A);
    const summaryB = await reconcilerOf(B);
    assert.equal(summaryA.planned.total, 0, JSON.stringify(summaryA.planned));
    assert.equal(summaryB.planned.total, 0, JSON.stringify(summaryB.planned));
    assert.equal(summaryA.records.unattributed, 2, "the gone host's unattributed sets are counted");
    assert.deepEqual(keys(await zoneSets()), keys(written), "no reconciler deleted anything");

    // pulumi destroy of stack A: its agent stops, its cleanup runs.
    await A.agent?.stop();
    A.agent = undefined;
    const outcome = await removeOwnRecordSets({
      zoneId: zone.hostedZoneId,
      endpoint: zone.apiUrl,
      deployment: A.deployment,
    });
    assert.equal(outcome.deleted, 4);
    const left = keys(await zoneSets());
    for (const set of of(B)) assert.ok(left.includes(recordSetKey(set)), `B keeps ${recordSetKey(set)}`);
    for (const set of of(A)) assert.ok(!left.includes(recordSetKey(set)), `A's ${recordSetKey(set)} is gone`);
    for (const set of [legacyGone, legacyGoneHost])
      assert.ok(left.includes(recordSetKey(set)), `unattributed ${recordSetKey(set)} is left alone`);
  });
});
