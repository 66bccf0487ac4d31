// What the coalescer lets a token holder write for a host beyond ownership (issue 25): no service under a host's
// or task's name, SRV and TXT sets only at service names, and no container taken over the ports a container
// may publish. Pure: the judges alone; test/coalescer/httpApi.test.ts sends the same over HTTP.
import assert from "node:assert/strict";
import { judgeChangeRequest, judgeContainerCaps } from "../../coalescer/changeRequest";
import type { RecordChange } from "../../coalescer/zoneChanges";
import { agentCheckMarker, instanceRecordSet, type RecordSet } from "../../records";
import { containerIdFor } from "../kit/recordFixtures";

const ZONE = "servicediscovery.internal";
const HOST = "i-0123456789abcdef0";

/** The SRV set an agent on HOST writes for container `n`'s port, under `srvName`. */
function srv(n: number, port: number, opts: { srvName?: string; deployment?: string } = {}): RecordSet {
  const srvName = opts.srvName ?? "_calc._tcp";
  const out = instanceRecordSet({
    zone: ZONE,
    hostId: HOST,
    containerId: containerIdFor(n),
    service: { containerPort: port, service: "calc", protocol: "tcp", srvName, priority: 1, weight: 1 },
    hostPort: 30_000 + port,
    ...(opts.deployment !== undefined && { deployment: opts.deployment }),
  });
  if ("problems" in out) throw new Error(JSON.stringify(out.problems));
  return { ...out.recordSet, Name: `${srvName}.${ZONE}` };
}

const judge = (action: string, recordSet: RecordSet) =>
  judgeChangeRequest({ changes: [{ action, recordSet }] }, { hostId: HOST, zoneName: ZONE });

describe("coalescer: reserved service names", () => {
  // Finding 1 of issue 25 through the coalescer: the agent refuses such a declaration, but a token holder
  // could have sent the set itself and sat beside a host's or a task's address record.
  it("refuses, with 403 naming the problem, an SRV set or marker under a host's or a task's label", () => {
    for (const label of ["i-0abc1234def567890", "0123456789abcdef0123456789abcdef"]) {
      const set = srv(1, 8080, { srvName: `_${label}._tcp` });
      for (const [action, rs] of [
        ["CREATE", set],
        ["UPSERT", set],
        ["UPSERT", agentCheckMarker(set, "http")],
      ] as const) {
        const judged = judge(action, rs);
        assert.ok("status" in judged, `${action} ${rs.Type} at ${rs.Name}`);
        assert.equal(judged.status, 403);
        assert.match(
          judged.message,
          /reserved-service-name: the service label ".*" has the shape of a host or task name/,
        );
      }
      // An older agent's set of that name can still be taken out by its host.
      assert.ok("ok" in judge("DELETE", set), "DELETE stays the host's");
    }
  });

  it("refuses an SRV or TXT set at a name that is not a service name", () => {
    for (const name of [`vault.${ZONE}`, `_calc.${ZONE}`, `a._calc._tcp.${ZONE}`]) {
      const judged = judge("UPSERT", { ...srv(1, 8080), Name: name });
      assert.ok("status" in judged, name);
      assert.equal(judged.status, 403);
      assert.match(judged.message, /an agent writes SRV sets only at service names/);
    }
    assert.ok("ok" in judge("UPSERT", srv(1, 8080)), "a service name of ordinary shape");
  });
});

describe("coalescer: sets per container (ECSSD_MAX_PORTS_PER_CONTAINER)", () => {
  const create = (recordSet: RecordSet): RecordChange => ({ action: "CREATE", recordSet });
  const upsert = (recordSet: RecordSet): RecordChange => ({ action: "UPSERT", recordSet });
  const del = (recordSet: RecordSet): RecordChange => ({ action: "DELETE", recordSet });
  const ok = (j: ReturnType<typeof judgeContainerCaps>, what = "") =>
    assert.ok("ok" in j, `${what} ${JSON.stringify(j)}`);
  const refused = (j: ReturnType<typeof judgeContainerCaps>, message: RegExp) => {
    assert.ok("status" in j, "refused");
    assert.equal(j.status, 403);
    assert.match(j.message, message);
  };

  // Finding 4 of issue 25 through the coalescer: a token holder could write any number of sets for a host.
  it("refuses a submit that takes a container over the cap, counting its sets in the zone and the submit", () => {
    const inZone = [srv(1, 8080), srv(1, 8081)];
    refused(
      judgeContainerCaps([create(srv(1, 8082))], inZone, 2),
      new RegExp(
        `container ${containerIdFor(1).slice(0, 24)} of host "${HOST}" would have 3 SRV sets, more than the 2 ports a container may publish \\(ECSSD_MAX_PORTS_PER_CONTAINER\\)`,
      ),
    );
    // Within one submit as well, and under other names.
    refused(
      judgeContainerCaps(
        [1, 2, 3].map((i) => create(srv(9, 8080, { srvName: `_many${i}._tcp` }))),
        [],
        2,
      ),
      /would have 3 SRV sets/,
    );
  });

  it("passes what an agent within the cap sends: a container's ports, markers beside them, a replacement", () => {
    const inZone = [srv(1, 8080), srv(1, 8081)];
    ok(judgeContainerCaps([upsert(srv(1, 8081))], inZone, 2));
    ok(judgeContainerCaps([del(srv(1, 8081)), create(srv(1, 8082))], inZone, 2));
    ok(
      judgeContainerCaps(
        inZone.map((s) => upsert(agentCheckMarker(s, "http"))),
        inZone,
        2,
      ),
    );
    ok(judgeContainerCaps([create(srv(2, 8080)), create(srv(2, 8081))], inZone, 2), "another container");
    // A deployment's sets beside the unattributed ones they replace (the agent's takeover) count apart.
    ok(
      judgeContainerCaps(
        [8080, 8081].map((port) => create(srv(1, port, { deployment: "blue" }))),
        inZone,
        2,
      ),
    );
    // Submits without instance sets are not counted at all.
    ok(judgeContainerCaps([], inZone, 1));
  });

  it("lets a container already over the cap (written under a higher one) be replaced or brought down, not grown", () => {
    const inZone = [srv(1, 8080), srv(1, 8081), srv(1, 8082)];
    ok(judgeContainerCaps([upsert(srv(1, 8082))], inZone, 2));
    ok(judgeContainerCaps([del(srv(1, 8082))], inZone, 2));
    ok(judgeContainerCaps([del(srv(1, 8082)), create(srv(1, 8083))], inZone, 2));
    refused(judgeContainerCaps([create(srv(1, 8083))], inZone, 2), /would have 4 SRV sets/);
  });
});
