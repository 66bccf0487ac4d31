// The local zone: a Route53-compatible API and an authoritative DNS server for its hosted
// zones, on loopback, in one process. The embedded default of the project: tests, the local
// stack and benchmarks run against it instead of AWS.
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { isIP, isIPv6 } from "node:net";
import { withoutTrailingDot } from "./dnsName";
import { DnsResponder } from "./dnsResponder";
import { startDnsServer } from "./dnsServer";
import { FaultInjector, type FaultSettings, parseFaultSettings } from "./faults";
import { DataFile } from "./persistFile";
import { Route53Api } from "./route53Api";
import { ZoneStore } from "./zoneStore";

export type { FaultSettings } from "./faults";
export { ROUTE53_LIMITS } from "./route53Limits";

export interface LocalZoneOptions {
  /** Address both servers bind to. Default "127.0.0.1". */
  host?: string;
  /** Port of the Route53 API. Default 0 (ephemeral). */
  apiPort?: number;
  /** Port of the DNS server, the same for UDP and TCP. Default 0 (ephemeral). */
  dnsPort?: number;
  /** Zone created as a private hosted zone at start (unless the data file has it). Default "servicediscovery.internal". */
  zoneName?: string;
  /** JSON file the zones are saved to after each change and loaded from at start. Default: none. */
  dataFile?: string;
  /**
   * Faults injected into the API from the start (see FaultSettings). Default: none, which also means
   * none of Route53's throttling or quotas; pass ROUTE53_LIMITS (or spread it) for today's Route53.
   */
  faults?: FaultSettings;
  /** SOA MINIMUM of zones created by this process, i.e. the negative-caching TTL. Default 5 seconds. */
  soaMinimumTtl?: number;
  /** Bearer token of the `/_admin/` endpoints (at least 16 characters). Default: a random one per start. */
  adminToken?: string;
}

export interface LocalZone {
  /** Base URL of the Route53 API, e.g. http://127.0.0.1:41234; give it to the SDK as `endpoint`. */
  apiUrl: string;
  /** Where the DNS server listens (UDP and TCP). */
  dns: { host: string; port: number };
  /** Id of the zone named `zoneName`, without the `/hostedzone/` prefix. */
  hostedZoneId: string;
  /** The zone name, without the trailing dot. */
  zoneName: string;
  /** The token `/_admin/` requests must carry as `Authorization: Bearer <token>`. */
  adminToken: string;
  /** Replaces the injected faults; `{}` clears them. Throws on an invalid setting. */
  setFaults(f: FaultSettings): void;
  /** Route53 API calls received so far, by action (e.g. ChangeResourceRecordSets). */
  stats(): Record<string, number>;
  /** Stops both servers and waits for the data file to be written. */
  close(): Promise<void>;
}

/** The VPC recorded on the default private zone; the local zone does not model VPCs. */
const LOCAL_VPC = { id: "vpc-local", region: "us-east-1" };

/**
 * Starts the local zone.
 *
 * @example
 * const zone = await startLocalZone();
 * const route53 = route53Client({ endpoint: zone.apiUrl }); // from route53/
 * // ... dig @127.0.0.1 -p ${zone.dns.port} SRV _calc._tcp.servicediscovery.internal
 * await zone.close();
 */
export async function startLocalZone(opts: LocalZoneOptions = {}): Promise<LocalZone> {
  const host = opts.host ?? "127.0.0.1";
  // UDP and TCP must listen on the very same address; a name could resolve differently for each.
  if (!isIP(host)) throw new Error(`host must be an IP address such as 127.0.0.1, got "${host}"`);
  const soaMinimumTtl = opts.soaMinimumTtl ?? 5;
  if (!Number.isInteger(soaMinimumTtl) || soaMinimumTtl < 0) {
    throw new Error(`soaMinimumTtl must be a non-negative integer, got ${soaMinimumTtl}`);
  }
  const adminToken = opts.adminToken ?? randomBytes(16).toString("hex");
  if (!/^[\x21-\x7e]{16,}$/.test(adminToken)) {
    throw new Error("adminToken must be at least 16 printable characters without spaces");
  }
  const faults = new FaultInjector(parseFaultSettings(opts.faults ?? {}));
  const store = new ZoneStore(soaMinimumTtl);

  const dataFile = opts.dataFile ? new DataFile(opts.dataFile, () => store.snapshot()) : undefined;
  if (dataFile) {
    const saved = dataFile.load();
    if (saved) {
      try {
        store.restore(saved);
      } catch (err) {
        throw new Error(`cannot load the data file ${dataFile.file}: ${(err as Error).message}`);
      }
    }
    dataFile.prepare();
  }
  const zoneName = opts.zoneName ?? "servicediscovery.internal";
  let zone = store.findByName(zoneName);
  if (!zone) {
    zone = store.createHostedZone({
      name: zoneName,
      callerReference: `ecssd-local-zone-${zoneName}`,
      comment: "created by the local zone",
      vpc: LOCAL_VPC,
    }).zone;
    await dataFile?.save();
  }

  const responder = new DnsResponder(store);
  const dns = await startDnsServer({ host, port: opts.dnsPort ?? 0, responder });

  let apiUrl = "";
  const api = new Route53Api({
    store,
    faults,
    persist: async () => {
      try {
        await dataFile?.save();
      } catch (err) {
        // The change is applied; a failed write is reported, and the next change retries it.
        process.stderr.write(`local zone: cannot write the data file: ${(err as Error).message}\n`);
      }
    },
    baseUrl: () => apiUrl,
    adminToken,
  });
  const server = http.createServer(api.handle);
  // Long keep-alive, so an idle SDK connection is not closed under a request the client is just
  // sending (a reset that a client with maxAttempts 1 would see as a failure); close() ends them all.
  server.keepAliveTimeout = 60_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.apiPort ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    await dns.close();
    throw err;
  }
  const apiPort = (server.address() as AddressInfo).port;
  apiUrl = `http://${isIPv6(host) ? `[${host}]` : host}:${apiPort}`;

  let closing: Promise<void> | undefined;
  return {
    apiUrl,
    dns: { host, port: dns.port },
    hostedZoneId: zone.id,
    zoneName: withoutTrailingDot(zone.name),
    adminToken,
    setFaults: (f) => faults.set(parseFaultSettings(f)),
    stats: () => api.stats(),
    close: () => {
      closing ??= (async () => {
        await Promise.all([
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
          dns.close(),
        ]);
        await dataFile?.save();
      })();
      return closing;
    },
  };
}
