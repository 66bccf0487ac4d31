// Resolvers on a clock moved by hand, against a test DNS server made afresh for each test: what the outlier
// detection suites share (the server, the clock, and the resolvers closed after each test).
import { createResolver, type Resolver, type ResolverOptions } from "@ecssd/resolver";
import { AuthoritativeServer } from "../../kit/authoritativeServer";
import { seededRandom } from "./seededRandom";

export interface ClockedResolvers {
  /** This test's DNS server for the zone. */
  readonly dns: AuthoritativeServer;
  /** The resolvers' clock in milliseconds: 1,000,000 at the start of each test; tests move it. */
  clock: number;
  /** A resolver on this test's server and clock, with a seeded random; closed after the test. */
  resolver(options?: ResolverOptions): Resolver;
}

/** Registers the hooks (call it inside `describe`); `seed` seeds each resolver's random. */
export function clockedResolvers(zone: string, seed: number): ClockedResolvers {
  let server: AuthoritativeServer | undefined;
  const resolvers: Resolver[] = [];
  const state: ClockedResolvers = {
    get dns(): AuthoritativeServer {
      if (server === undefined) throw new Error("the DNS server exists only while a test runs");
      return server;
    },
    clock: 0,
    resolver(options: ResolverOptions = {}): Resolver {
      const r = createResolver({
        servers: [state.dns.endpoint],
        timeoutMs: 500,
        random: seededRandom(seed),
        now: () => state.clock,
        ...options,
      });
      resolvers.push(r);
      return r;
    },
  };
  beforeEach(async () => {
    server = await AuthoritativeServer.start({ zone });
    state.clock = 1_000_000;
  });
  afterEach(async () => {
    for (const r of resolvers.splice(0)) r.close();
    await server?.close();
    server = undefined;
  });
  return state;
}

/** Ports picked in `n` cached picks of `name`, counted. */
export function countPicks(r: Resolver, name: string, n: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const e = r.pickCached(name)!;
    counts.set(e.port, (counts.get(e.port) ?? 0) + 1);
  }
  return counts;
}
