// Record sets as an agent (or the registrar) writes them, for the coalescer's tests: made with the record
// contract, in the test zone, of a deployment when asked.

import {
  availabilityZoneRecordSet,
  instanceRecordSet,
  parseServiceDeclarations,
  type RecordSet,
  type ServiceDeclaration,
  taskInstanceRecordSet,
} from "../../../records";
import { containerIdFor, hostA as hostRecord } from "../../kit/recordFixtures";

const CALC = parseServiceDeclarations(["SERVICE_8080_NAME=_calc._tcp"], {}).services[0] as ServiceDeclaration;

/** The host A record set of `hostId`. */
export function agentA(hostId: string, zone: string): RecordSet {
  return hostRecord(hostId, "127.0.0.1", zone);
}

/** The AZ set beside the host A record set of `hostId`. */
export function agentAz(hostId: string, zone: string, azId = "use1-az4"): RecordSet {
  const out = availabilityZoneRecordSet(agentA(hostId, zone), azId);
  if ("problems" in out) throw new Error(JSON.stringify(out.problems));
  return out.recordSet;
}

/** The `_calc._tcp` SRV set of one container on `hostId`. */
export function srvRecord(r: {
  hostId: string;
  container: number;
  hostPort: number;
  zone: string;
  deployment?: string;
}): RecordSet {
  const out = instanceRecordSet({
    zone: r.zone,
    hostId: r.hostId,
    containerId: containerIdFor(r.container),
    service: CALC,
    hostPort: r.hostPort,
    ...(r.deployment !== undefined && { deployment: r.deployment }),
  });
  if ("problems" in out) throw new Error(JSON.stringify(out.problems));
  return out.recordSet;
}

/** The `_calc._tcp` SRV set the registrar writes for an awsvpc task. */
export function taskSrv(zone: string): RecordSet {
  const out = taskInstanceRecordSet({ zone, taskId: "0123456789abcdef0123456789abcdef", service: CALC });
  if ("problems" in out) throw new Error(JSON.stringify(out.problems));
  return out.recordSet;
}
