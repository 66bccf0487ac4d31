// A small discovery setup for portal tests: the local zone (real DNS), time and calc as real
// processes registered as SRV records through the Route53 SDK, and a portal that finds them.
import { createServer } from "node:net";
import { type Change, Route53Client } from "@aws-sdk/client-route-53";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { changeZone } from "../kit/zoneSeeding";
import { type ServiceProcess, startServiceProcess } from "./serviceProcess";

export const CREDS = { AUTH_USERNAME: "admin", AUTH_PASSWORD: "password" };
export const ZONE = "servicediscovery.internal";

/** A loopback port nobody listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Instance {
  readonly id: string;
  readonly port: number;
  readonly priority?: number;
}

/** An SRV record set of one instance on host-a, TTL 1 s so tests see changes quickly. */
export function srvChange(action: "UPSERT" | "DELETE", service: string, inst: Instance): Change {
  return {
    Action: action,
    ResourceRecordSet: {
      Name: `_${service}._tcp.${ZONE}`,
      Type: "SRV",
      TTL: 1,
      SetIdentifier: inst.id,
      MultiValueAnswer: true,
      ResourceRecords: [{ Value: `${inst.priority ?? 1} 10 ${inst.port} host-a.${ZONE}` }],
    },
  };
}

export interface DiscoverySetup {
  readonly zone: LocalZone;
  readonly time: readonly ServiceProcess[];
  readonly calc: ServiceProcess;
  readonly portal: ServiceProcess;
  /** Port of the registered calc instance nobody listens on (priority 0: always tried first). */
  readonly deadCalcPort: number;
  change(changes: Change[]): Promise<void>;
  close(): Promise<void>;
}

/** Starts the zone, two time instances, one calc instance plus a dead one, and the portal. */
export async function startDiscoverySetup(): Promise<DiscoverySetup> {
  const started: ServiceProcess[] = [];
  const zone = await startLocalZone();
  const route53 = new Route53Client({
    endpoint: zone.apiUrl,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const close = async (): Promise<void> => {
    await Promise.all(started.map((p) => p.kill()));
    route53.destroy();
    await zone.close();
  };
  try {
    const start = async (name: string, env: Record<string, string>) => {
      const p = await startServiceProcess(name, { ...CREDS, HOST_ID: "host-a", ...env });
      started.push(p);
      return p;
    };
    const [time1, time2, calc] = await Promise.all([
      start("time", { CONTAINER_ID: "time-1" }),
      start("time", { CONTAINER_ID: "time-2" }),
      start("calc", { CONTAINER_ID: "calc-1", DRAIN_MS: "0" }),
    ]);
    const deadCalcPort = await closedPort();
    const change = async (changes: Change[]): Promise<void> => {
      await changeZone(route53, zone.hostedZoneId, changes);
    };
    await change([
      {
        Action: "UPSERT",
        ResourceRecordSet: {
          Name: `host-a.${ZONE}`,
          Type: "A",
          TTL: 60,
          ResourceRecords: [{ Value: "127.0.0.1" }],
        },
      },
      srvChange("UPSERT", "time", { id: "time-1", port: time1.port }),
      srvChange("UPSERT", "time", { id: "time-2", port: time2.port }),
      srvChange("UPSERT", "calc", { id: "calc-dead", port: deadCalcPort, priority: 0 }),
      srvChange("UPSERT", "calc", { id: "calc-1", port: calc.port }),
    ]);
    const portal = await start("portal", {
      CONTAINER_ID: "portal-1",
      // These tests watch which instance answered, which only the debugging setting shows.
      PORTAL_SHOW_UPSTREAM: "true",
      DNS_SERVERS: `127.0.0.1:${zone.dns.port}`,
      TIME_SERVICE: `_time._tcp.${ZONE}`,
      CALC_SERVICE: `_calc._tcp.${ZONE}`,
    });
    return { zone, time: [time1, time2], calc, portal, deadCalcPort, change, close };
  } catch (err) {
    await close();
    throw err;
  }
}
