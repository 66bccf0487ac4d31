// `ecssd zone`: runs the local zone until SIGINT/SIGTERM and prints one JSON line when ready.
import { type Command, InvalidArgumentError } from "commander";
import { type FaultSettings, ROUTE53_LIMITS, startLocalZone } from "../../local/zone";

function port(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
    throw new InvalidArgumentError("expected a port number from 0 to 65535 (0 picks a free port).");
  }
  return Number(value);
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError("expected a number >= 0.");
  return n;
}

function probability(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new InvalidArgumentError("expected a probability from 0 to 1.");
  }
  return n;
}

function burst(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 1)
    throw new InvalidArgumentError("expected a number >= 1.");
  return n;
}

function positiveInteger(value: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError("expected a whole number >= 1.");
  return Number(value);
}

function nonNegativeInteger(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError("expected a whole number of seconds >= 0.");
  return Number(value);
}

interface ZoneFlags {
  host: string;
  apiPort: number;
  dnsPort: number;
  zone: string;
  data?: string;
  throttleRps?: number;
  route53Limits: boolean;
  accountRps?: number;
  accountBurst?: number;
  actionRps?: number;
  actionBurst?: number;
  changesPerSecond?: number;
  changeBurst?: number;
  maxRecordSets?: number;
  priorRequestNotCompleteRate?: number;
  latencyMs?: number;
  serverErrorRate?: number;
  soaMinimumTtl?: number;
}

export function registerZoneCommand(program: Command): void {
  program
    .command("zone")
    .description("run the local zone: a Route53-compatible API and an authoritative DNS server on loopback")
    .option("--host <address>", "address both servers bind to", "127.0.0.1")
    .option("--api-port <port>", "port of the Route53 API (0 = any free port)", port, 0)
    .option("--dns-port <port>", "port of the DNS server, UDP and TCP (0 = any free port)", port, 0)
    .option("--zone <name>", "private hosted zone created at start", "servicediscovery.internal")
    .option("--data <file>", "keep the zones in this JSON file (written after each change, loaded at start)")
    .option(
      "--no-route53-limits",
      "model none of Route53's throttling and quotas (by default the zone applies today's: see local/zone/README.md)",
    )
    .option(
      "--account-rps <n>",
      "Route53's account request bucket: refill per second (default 10; 0 = off)",
      nonNegative,
    )
    .option("--account-burst <n>", "Route53's account request bucket: capacity (default 50)", burst)
    .option(
      "--action-rps <n>",
      "Route53's per-action request buckets: refill per second (default 10; 0 = off)",
      nonNegative,
    )
    .option("--action-burst <n>", "Route53's per-action request buckets: capacity (default 50)", burst)
    .option(
      "--changes-per-second <n>",
      "Route53's change-throughput bucket: record set changes per second, an UPSERT counting two (default 100, assumed; 0 = off)",
      nonNegative,
    )
    .option(
      "--change-burst <n>",
      "Route53's change-throughput bucket: capacity in changes (default 1000, assumed)",
      burst,
    )
    .option("--max-record-sets <n>", "record sets a hosted zone may hold (default 10000)", positiveInteger)
    .option(
      "--throttle-rps <n>",
      "the older single-bucket model: answer Throttling beyond n API requests per second",
      nonNegative,
    )
    .option(
      "--prior-request-not-complete-rate <p>",
      "fail this share of writes with PriorRequestNotComplete",
      probability,
    )
    .option("--latency-ms <ms>", "delay every API answer", nonNegative)
    .option("--server-error-rate <p>", "fail this share of API calls with 500/503", probability)
    .option(
      "--soa-minimum-ttl <seconds>",
      "negative-caching TTL of new zones (SOA MINIMUM)",
      nonNegativeInteger,
    )
    .addHelpText(
      "after",
      "\nPrints one JSON line when ready: {apiUrl, dns, hostedZoneId, zone, adminToken}. Faults can also be\n" +
        "changed at runtime: POST {apiUrl}/_admin/faults with JSON (it replaces them all, Route53's limits\n" +
        "included: GET them first to keep them); GET {apiUrl}/_admin/stats counts API calls.\n" +
        "Both need the header 'Authorization: Bearer <adminToken>' (POST also 'content-type: application/json').\n" +
        "ECSSD_ZONE_ADMIN_TOKEN sets the token; otherwise a random one is made at each start.",
    )
    .action(async (flags: ZoneFlags) => {
      const base: FaultSettings = flags.route53Limits ? structuredClone(ROUTE53_LIMITS) : {};
      const faults: FaultSettings = Object.fromEntries(
        Object.entries({
          ...base,
          accountRps: flags.accountRps ?? base.accountRps,
          accountBurst: flags.accountBurst ?? base.accountBurst,
          actionRps: flags.actionRps ?? base.actionRps,
          actionBurst: flags.actionBurst ?? base.actionBurst,
          changesPerSecond: flags.changesPerSecond ?? base.changesPerSecond,
          changeBurst: flags.changeBurst ?? base.changeBurst,
          maxRecordSetsPerZone: flags.maxRecordSets ?? base.maxRecordSetsPerZone,
          throttleRps: flags.throttleRps,
          priorRequestNotCompleteRate: flags.priorRequestNotCompleteRate,
          latencyMs: flags.latencyMs,
          serverErrorRate: flags.serverErrorRate,
        }).filter(([, v]) => v !== undefined),
      );
      const zone = await startLocalZone({
        host: flags.host,
        apiPort: flags.apiPort,
        dnsPort: flags.dnsPort,
        zoneName: flags.zone,
        dataFile: flags.data,
        faults,
        soaMinimumTtl: flags.soaMinimumTtl,
        adminToken: process.env.ECSSD_ZONE_ADMIN_TOKEN || undefined,
      });
      const dnsHost = zone.dns.host.includes(":") ? `[${zone.dns.host}]` : zone.dns.host;
      process.stdout.write(
        `${JSON.stringify({
          apiUrl: zone.apiUrl,
          dns: `${dnsHost}:${zone.dns.port}`,
          hostedZoneId: zone.hostedZoneId,
          zone: zone.zoneName,
          adminToken: zone.adminToken,
        })}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      await zone.close();
    });
}
