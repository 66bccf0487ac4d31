// The portal: a page with a time layout box and a formula box; its server reaches time and calc
// only through DNS service discovery (@ecssd/resolver). Port 8000.
import { createResolver, parseNameserver } from "@ecssd/resolver";
import { ConfigError } from "../shared/serviceConfig";
import { serviceMain } from "../shared/serviceMain";
import { portalRoutes } from "./portalRoutes";

const env = process.env;

serviceMain({
  name: "portal",
  defaultPort: 8000,
  protectRoutes: false,
  routes: (config) => {
    const servers = (env.DNS_SERVERS ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    const problems: string[] = [];
    for (const server of servers) {
      try {
        parseNameserver(server);
      } catch (err) {
        problems.push(`[DNS_SERVERS] ${(err as Error).message}`);
      }
    }
    if (problems.length > 0) throw new ConfigError(`Invalid portal config:\n - ${problems.join("\n - ")}`);
    let resolver: ReturnType<typeof createResolver>;
    try {
      resolver = createResolver(servers.length > 0 ? { servers } : {});
    } catch (err) {
      // e.g. no nameserver in /etc/resolv.conf and DNS_SERVERS unset
      throw new ConfigError(
        `cannot set up DNS service discovery (set DNS_SERVERS=host:port): ${(err as Error).message}`,
      );
    }
    return portalRoutes({
      resolver,
      timeService: env.TIME_SERVICE || "_time._tcp.servicediscovery.internal",
      calcService: env.CALC_SERVICE || "_calc._tcp.servicediscovery.internal",
      auth: config.auth,
    });
  },
}).catch((err: unknown) => {
  process.stderr.write(`portal: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
