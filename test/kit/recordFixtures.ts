// Record sets as the agent writes them (made with the record contract) and as somebody else might have
// written them, for seeding zones that a reconciler, test or benchmark then reads.
import type { ResourceRecordSet } from "@aws-sdk/client-route-53";
import { hostRecordSet, instanceRecordSet, parseServiceDeclarations, type RecordSet } from "../../records";

export const ZONE = "servicediscovery.internal";

/** A 64-hex Docker container id derived from a number, so tests can tell containers apart. */
export function containerIdFor(n: number): string {
  return (n.toString(16).padStart(8, "0") + "c0ffee").repeat(5).slice(0, 64).padEnd(64, "a");
}

/** The host A record set the agent on `hostId` writes. */
export function hostA(hostId: string, address = "127.0.0.1", zone = ZONE): RecordSet {
  const r = hostRecordSet({ zone, hostId, address });
  if ("problems" in r) throw new Error(JSON.stringify(r.problems));
  return r.recordSet;
}

/** The SRV record set the agent on `hostId` writes for one container (of a task, when `taskId` is given). */
export function srvRecord(r: {
  hostId: string;
  /** Which container: a number turned into a 64-hex container id. */
  container: number;
  hostPort: number;
  taskId?: string;
  /** Default `_calc._tcp`. Route53 allows at most 100 multivalue sets per name, so big zones spread out. */
  service?: string;
  zone?: string;
}): RecordSet {
  const declared = parseServiceDeclarations([`SERVICE_8080_NAME=${r.service ?? "_calc._tcp"}`], {})
    .services[0];
  if (!declared) throw new Error(`not a service name: ${r.service}`);
  const out = instanceRecordSet({
    zone: r.zone ?? ZONE,
    hostId: r.hostId,
    containerId: containerIdFor(r.container),
    service: declared,
    hostPort: r.hostPort,
    ...(r.taskId !== undefined && { taskId: r.taskId }),
  });
  if ("problems" in out) throw new Error(JSON.stringify(out.problems));
  return out.recordSet;
}

/** Record sets somebody else wrote: no SetIdentifier, one that is not ours, and our prefix on a type we never write. */
export function foreignSets(zone = ZONE): ResourceRecordSet[] {
  return [
    { Name: `legacy.${zone}`, Type: "A", TTL: 300, ResourceRecords: [{ Value: "10.0.0.9" }] },
    {
      Name: `_calc._tcp.${zone}`,
      Type: "SRV",
      TTL: 10,
      SetIdentifier: "registrator:host1:calc:8080",
      MultiValueAnswer: true,
      ResourceRecords: [{ Value: `1 1 8080 legacy.${zone}` }],
    },
    {
      Name: `_calc._tcp.${zone}`,
      Type: "SRV",
      TTL: 10,
      SetIdentifier: "ecssd1:NOT A HOST:zz:0",
      MultiValueAnswer: true,
      ResourceRecords: [{ Value: `1 1 8081 legacy.${zone}` }],
    },
    {
      Name: `notes.${zone}`,
      Type: "TXT",
      TTL: 300,
      SetIdentifier: "ecssd1:i-0deadbeef0000dead",
      MultiValueAnswer: true,
      ResourceRecords: [{ Value: '"written by hand"' }],
    },
  ];
}
