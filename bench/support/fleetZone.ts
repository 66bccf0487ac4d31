// The local zone's Route53 API (the same Route53Api, ZoneStore and FaultInjector that startLocalZone
// composes) with the store in reach of the benchmark, so the fleet bench can watch the zone change without
// asking it: every applied batch tells a listener which names it touched, and the listener reads those names
// straight from the store. Nothing here goes through the API, so watching costs no request, no token of any
// bucket and no line in the call counts. No DNS server: the fleet bench never queries DNS.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { FaultInjector, type FaultSettings, parseFaultSettings } from "../../local/zone/faults";
import { Route53Api } from "../../local/zone/route53Api";
import type { StoredRecordSet } from "../../local/zone/route53Records";
import { ZoneStore } from "../../local/zone/zoneStore";

export interface FleetZone {
  apiUrl: string;
  hostedZoneId: string;
  /** Without the trailing dot. */
  zoneName: string;
  setFaults(f: FaultSettings): void;
  /** API calls received by action, throttled ones included (the zone's own count). */
  stats(): Record<string, number>;
  resetStats(): void;
  /** Record sets in the zone now, the apex SOA and NS included (what the quota counts). */
  recordSetCount(): number;
  /** Every record set of the zone now. */
  recordSets(): StoredRecordSet[];
  /**
   * Told, synchronously inside the request that applied it, of every applied batch: the names it touched
   * and the record sets at each of them afterwards.
   */
  onNamesChanged(listener: (changed: ReadonlyMap<string, StoredRecordSet[]>) => void): void;
  close(): Promise<void>;
}

export async function startFleetZone(
  opts: { faults?: FaultSettings; zoneName?: string } = {},
): Promise<FleetZone> {
  const faults = new FaultInjector(parseFaultSettings(opts.faults ?? {}));
  const store = new ZoneStore(5);
  const zone = store.createHostedZone({
    name: opts.zoneName ?? "servicediscovery.internal",
    callerReference: "ecssd-fleet-bench",
    comment: "created by the fleet benchmark",
    vpc: { id: "vpc-local", region: "us-east-1" },
  }).zone;
  const listeners: ((changed: ReadonlyMap<string, StoredRecordSet[]>) => void)[] = [];
  store.onChange((changedZone, names) => {
    if (changedZone?.id !== zone.id || names === undefined || listeners.length === 0) return;
    const changed = new Map<string, StoredRecordSet[]>();
    for (const name of names) changed.set(name, store.setsAt(zone.id, name));
    for (const l of listeners) l(changed);
  });
  let apiUrl = "";
  const api = new Route53Api({
    store,
    faults,
    persist: async () => {},
    baseUrl: () => apiUrl,
    adminToken: "fleet-bench-admin-token-unused",
  });
  const server = http.createServer(api.handle);
  // As startLocalZone: a long keep-alive, so an idle SDK connection is not closed under a request.
  server.keepAliveTimeout = 60_000;
  // Hundreds of clients with a connection each: the default backlog (511) is not the limit under test.
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, () => resolve());
  });
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    apiUrl,
    hostedZoneId: zone.id,
    zoneName: zone.name.replace(/\.$/, ""),
    setFaults: (f) => faults.set(parseFaultSettings(f)),
    stats: () => api.stats(),
    resetStats: () => api.resetStats(),
    recordSetCount: () => store.get(zone.id).sets.size,
    recordSets: () => [...store.get(zone.id).sets.values()],
    onNamesChanged: (listener) => listeners.push(listener),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
