// The portal: a page with a time layout box and a formula box; its server reaches time and calc
// only through DNS service discovery (@ecssd/resolver). Port and callees: examples/manifest.ts.
import { createDispatcher, createResolver, parseNameserver } from "@ecssd/resolver";
import { DEFAULT_ZONE } from "../../records/zone";
import { calleeEnvironment, calleeVariable } from "../manifest";
import { ConfigError } from "../shared/serviceConfig";
import { serviceMain } from "../shared/serviceMain";
import { portalRoutes } from "./portalRoutes";

const env = process.env;
/** Where time and calc are when TIME_SERVICE / CALC_SERVICE are unset: the default zone. */
const callees = calleeEnvironment("portal", DEFAULT_ZONE);
const whereIs = (callee: string): string =>
  env[calleeVariable(callee)] || (callees[calleeVariable(callee)] as string);

serviceMain({
  name: "portal",
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
    // A debugging aid only: answers then show internal addresses and instance ids (portalRoutes.ts).
    const showUpstream = (env.PORTAL_SHOW_UPSTREAM ?? "false").trim().toLowerCase();
    if (showUpstream !== "true" && showUpstream !== "false") {
      problems.push(
        `[PORTAL_SHOW_UPSTREAM] must be true or false, got ${JSON.stringify((env.PORTAL_SHOW_UPSTREAM ?? "").slice(0, 80))}`,
      );
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
      // Where an answer came from is shown on the page: the dispatcher reports it in response headers.
      dispatcher: createDispatcher(resolver, { instanceHeaders: true }),
      timeService: whereIs("time"),
      calcService: whereIs("calc"),
      auth: config.auth,
      showUpstream: showUpstream === "true",
    });
  },
}).catch((err: unknown) => {
  process.stderr.write(`portal: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
