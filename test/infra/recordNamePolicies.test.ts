// In a zone the customer shares with us, each of our roles may change only names of the shapes it writes
// (records/zone.ts): services (`_<name>._tcp|udp`), hosts (EC2 instance ids), tasks (ECS task ids). A
// customer's `db.<zone>` cannot be changed by any of them. Asked of the IAM simulator.
import { strict as assert } from "node:assert";
import {
  agentPolicy,
  coalescerPolicy,
  type PolicyDocument,
  reconcilerPolicy,
  registrarPolicy,
} from "../../infra/policies";
import { isHostOrTaskLabel } from "../../records";
import { type IamRequest, isAllowed } from "./support/iamEvaluation";

const ZONE = "corp.internal";
const ZONE_ARN = "arn:aws:route53:::hostedzone/Z0AAAAAAAAAAAAAAAAAAA";
const CLUSTER_ARN = "arn:aws:ecs:eu-west-1:123456789012:cluster/ecssd-cluster-1";

const HOST = "i-0abc1234def567890";
const OLD_HOST = "i-0abc1234";
const TASK = "0123456789abcdef0123456789abcdef";
const OLD_TASK = "01234567-89ab-cdef-0123-456789abcdef";

function change(actions: string[], types: string[], names: string[]): IamRequest {
  return {
    action: "route53:ChangeResourceRecordSets",
    resource: ZONE_ARN,
    context: {
      "route53:ChangeResourceRecordSetsActions": actions,
      "route53:ChangeResourceRecordSetsRecordTypes": types,
      "route53:ChangeResourceRecordSetsNormalizedRecordNames": names.map((n) => `${n}.${ZONE}`),
    },
  };
}

const roles: Record<string, PolicyDocument> = {
  agent: agentPolicy({ zoneArn: ZONE_ARN, zoneName: ZONE }),
  registrar: registrarPolicy({ zoneArn: ZONE_ARN, zoneName: ZONE, clusterArn: CLUSTER_ARN }),
  reconciler: reconcilerPolicy({
    zoneArn: ZONE_ARN,
    zoneName: ZONE,
    clusterArn: CLUSTER_ARN,
    stopUnhealthyTasks: true,
  }),
  coalescer: coalescerPolicy({
    zoneArn: ZONE_ARN,
    zoneName: ZONE,
    clusterArn: CLUSTER_ARN,
    taskEventsQueueArn: "arn:aws:sqs:eu-west-1:123456789012:ecssd-task-events",
  }),
};

describe("IAM: our roles change only the names we write", () => {
  // A customer's names in a brought zone, and names that merely resemble ours.
  // A customer's names deeper in the zone that merely have the length of ours: IAM's `?` matches a dot.
  const deep = ["aaaaaaa.bbbbbbb.ccccccc.dddddddd", "_a.b.c._tcp", "i-0123.4567.89abcde"];
  const customers = [
    ...deep,
    "db",
    "www.db",
    "vault",
    "i-0abc",
    "i-0abc1234def5678901",
    "0123456789abcdef",
    "mail._domainkey",
  ];
  for (const [role, policy] of Object.entries(roles)) {
    for (const name of customers) {
      for (const [action, type] of [
        ["UPSERT", "A"],
        ["DELETE", "A"],
        ["UPSERT", "TXT"],
        ["DELETE", "TXT"],
        ["DELETE", "SRV"],
      ] as const) {
        it(`${role} may not ${action} the ${type} record ${name}.<zone>`, async () => {
          assert.equal(await isAllowed(policy, change([action], [type], [name])), false);
        });
      }
    }
  }

  const mayWrite: [role: string, what: string, request: IamRequest][] = [
    ["agent", "its instance's SRV set and marker", change(["UPSERT"], ["SRV", "TXT"], ["_calc._tcp"])],
    ["agent", "a UDP service", change(["UPSERT"], ["SRV"], ["_dns._udp"])],
    ["agent", "its host's A record", change(["UPSERT"], ["A"], [HOST])],
    ["agent", "an older host id's A record", change(["DELETE"], ["A"], [OLD_HOST])],
    ["registrar", "a task's A and SRV", change(["UPSERT"], ["A", "SRV"], [TASK, "_time._tcp"])],
    ["registrar", "an older task id's A record", change(["DELETE"], ["A"], [OLD_TASK])],
    ["agent", "its host's A record and AZ set", change(["UPSERT", "DELETE"], ["A", "TXT"], [HOST, OLD_HOST])],
    [
      "registrar",
      "a task's A record, AZ set and SRV",
      change(["UPSERT", "DELETE"], ["A", "TXT", "SRV"], [TASK, OLD_TASK, "_time._tcp"]),
    ],
    [
      "reconciler",
      "a stale host's and task's AZ sets with their A records",
      change(["DELETE"], ["SRV", "A", "TXT"], ["_time._tcp", HOST, TASK]),
    ],
    [
      "coalescer",
      "a shared batch of hosts' and tasks' AZ sets",
      change(["UPSERT", "DELETE"], ["SRV", "A", "TXT"], ["_calc._tcp", HOST, OLD_HOST, TASK, OLD_TASK]),
    ],
    [
      "reconciler",
      "a stale instance, host and task",
      change(["DELETE"], ["SRV", "A", "A"], ["_time._tcp", HOST, TASK]),
    ],
    ["reconciler", "a verdict marker", change(["UPSERT"], ["TXT"], ["_time._tcp"])],
    ["reconciler", "verdict markers it lifts", change(["DELETE"], ["TXT"], ["_time._tcp", "_calc._tcp"])],
    [
      "coalescer",
      "an agent's instance, marker and host",
      change(["UPSERT"], ["SRV", "TXT", "A"], ["_calc._tcp", HOST]),
    ],
    ["coalescer", "a task's A and SRV", change(["UPSERT"], ["A", "SRV"], [TASK, "_time._tcp"])],
    [
      "coalescer",
      "a shared batch of hosts' and tasks' sets, older ids too",
      change(["UPSERT", "DELETE"], ["SRV", "A"], ["_calc._tcp", HOST, OLD_HOST, TASK, OLD_TASK]),
    ],
  ];
  for (const [role, what, request] of mayWrite) {
    it(`${role} may change ${what}`, async () => {
      assert.equal(await isAllowed(roles[role] as PolicyDocument, request), true);
    });
  }

  const mayNot: [role: string, what: string, request: IamRequest][] = [
    ["agent", "a task's A record", change(["UPSERT"], ["A"], [TASK])],
    ["registrar", "a host's A record", change(["UPSERT"], ["A"], [HOST])],
    ["registrar", "a TXT set at a host's name", change(["UPSERT"], ["TXT"], [HOST])],
    ["agent", "a TXT set at a task's name", change(["UPSERT"], ["TXT"], [TASK])],
    [
      "registrar",
      "a TXT set at a customer's name beside its task's",
      change(["UPSERT"], ["TXT"], [TASK, "db"]),
    ],
    [
      "agent",
      "a batch that slips a customer's name in beside its own",
      change(["UPSERT"], ["SRV", "A"], ["_calc._tcp", "db"]),
    ],
    ["reconciler", "an instance's SRV set (UPSERT)", change(["UPSERT"], ["SRV"], ["_calc._tcp"])],
    [
      "reconciler",
      "an SRV set, UPSERTed beside a TXT set it deletes",
      change(["UPSERT", "DELETE"], ["SRV", "TXT"], ["_calc._tcp"]),
    ],
    ["reconciler", "a host's A record (UPSERT)", change(["UPSERT"], ["A"], [HOST])],
    ["reconciler", "a TXT set at a host's name (UPSERT)", change(["UPSERT"], ["TXT"], [HOST])],
    ["reconciler", "a TXT set at a task's name (UPSERT)", change(["UPSERT"], ["TXT"], [TASK])],
    [
      "coalescer",
      "a shared batch that slips a customer's name in",
      change(["UPSERT"], ["SRV", "A"], ["_calc._tcp", HOST, "db"]),
    ],
    ["coalescer", "a CNAME at a service's name", change(["UPSERT"], ["CNAME"], ["_calc._tcp"])],
  ];
  for (const [role, what, request] of mayNot) {
    it(`${role} may not change ${what}`, async () => {
      assert.equal(await isAllowed(roles[role] as PolicyDocument, request), false);
    });
  }

  // The registrar's code maps tasks' AZ names to AZ IDs; the agent reads its own from instance metadata.
  for (const [role, allowed] of [
    ["registrar", true],
    ["coalescer", true],
    ["agent", false],
    ["reconciler", false],
  ] as const) {
    it(`${role} ${allowed ? "may" : "may not"} call ec2:DescribeAvailabilityZones`, async () => {
      const request = { action: "ec2:DescribeAvailabilityZones", resource: "*" };
      assert.equal(await isAllowed(roles[role] as PolicyDocument, request), allowed);
    });
  }

  it("the IAM patterns and the declaration parser agree on which labels are hosts and tasks", () => {
    for (const label of [HOST, OLD_HOST, TASK, OLD_TASK]) assert.ok(isHostOrTaskLabel(label), label);
    for (const label of ["db", "i-0abc", "calc", "0123456789abcdef"])
      assert.ok(!isHostOrTaskLabel(label), label);
  });
});
