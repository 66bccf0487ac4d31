// The portal: a page with a time layout box and a formula box; its server reaches time and calc
// only through DNS service discovery (@ecssd/resolver). Port 8000.
import { createResolver } from "@ecssd/resolver";
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
    let resolver: ReturnType<typeof createResolver>;
    try {
      resolver = createResolver(servers.length > 0 ? { servers } : {});
    } catch (err) {
      throw new ConfigError(`[DNS_SERVERS] ${(err as Error).message}`);
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
