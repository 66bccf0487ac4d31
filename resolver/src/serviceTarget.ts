// What the host of a URL means to the fetch dispatcher and the http.Agent: a service, a short name that may be
// one, or any other host; and the rule that keeps a short name from ever taking a host's traffic.
//
// The zone is shared: anyone who can publish a service can publish `_vault._tcp.<zone>`, but `vault.<zone>` may
// be a host of the zone, an EC2 instance's or a task's name, or a customer's record in a zone they brought. So
// the short form `vault.<zone>` means the service `_vault._tcp.<zone>` only where it cannot shadow a host: the URL
// names no port, and the name does not exist in DNS at all (its A question is answered NXDOMAIN; any record
// there, of any type, makes it a host). Then, and only then, are its SRV records asked for. The explicit form
// `_vault._tcp.<zone>` cannot be a host's name and is always a service.
import type { Resolver } from "./resolver";

/** What a host name means: a service (`short` when written `svc.<domain>`, then `host` is that name), or not. */
export type Target =
  | { readonly kind: "service"; readonly srvName: string; readonly short: false }
  | { readonly kind: "service"; readonly srvName: string; readonly short: true; readonly host: string }
  | { readonly kind: "other" };

const SERVICE_PREFIX = /^_[a-z0-9-]+\._(tcp|udp)$/;
const SHORT_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Tells service names under the resolver's domain from every other host. `port` is the port the URL names (""
 * when it names none, or the scheme's own): a short name with a port is a host's. A short name this calls a
 * service is one only if the name does not exist (see {@link routeShortName}).
 *
 * @example
 * ```ts
 * serviceTarget("calc.servicediscovery.internal", "servicediscovery.internal", true);
 * // { kind: "service", srvName: "_calc._tcp.servicediscovery.internal", short: true, host: "calc.servicediscovery.internal" }
 * ```
 */
export function serviceTarget(hostname: string, domain: string, shortNames: boolean, port = ""): Target {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (!host.endsWith(`.${domain}`)) return { kind: "other" };
  const prefix = host.slice(0, -domain.length - 1);
  if (SERVICE_PREFIX.test(prefix)) return { kind: "service", srvName: host, short: false };
  if (shortNames && port === "" && SHORT_PREFIX.test(prefix)) {
    return { kind: "service", srvName: `_${prefix}._tcp.${domain}`, short: true, host };
  }
  return { kind: "other" };
}

/** Where a request for a short name goes: to the host as written, or to look for the service's instances. */
export interface ShortNameRoutes {
  /** The name exists: the request goes to that host, unchanged. */
  host(): void;
  /** The name does not exist: the service's SRV records decide (none: the host as written, as before). */
  service(): void;
  /** The servers could not say whether the name exists: the request fails with their error. */
  failed(err: unknown): void;
}

function ignore(): void {}

/**
 * Sends a request for a short name one of three ways (see {@link ShortNameRoutes}). Synchronous while the name's
 * A answer is cached, so a name already decided costs no DNS round trip; the decision lasts as long as that
 * answer (its TTL, or for NXDOMAIN the SOA minimum within `maxNegativeTtlSeconds`), and is refreshed in the
 * background when used late in it. The first time, the SRV question is asked alongside the A question, so a
 * service found by its short name waits for one round trip, as it did before.
 */
export function routeShortName(
  resolver: Resolver,
  target: Extract<Target, { short: true }>,
  routes: ShortNameRoutes,
): void {
  const exists = resolver.nameExistsCached(target.host);
  if (exists !== undefined) {
    if (exists) routes.host();
    else routes.service();
    return;
  }
  resolver.pick(target.srvName).then(ignore, ignore);
  resolver.nameExists(target.host).then(
    (found) => {
      try {
        if (found) routes.host();
        else routes.service();
      } catch (err) {
        routes.failed(err); // never an unhandled rejection: the request hears of it
      }
    },
    (err: unknown) => routes.failed(err),
  );
}
