// Short names never shadow a host: `fetch("http://vault.<zone>/")` through the dispatcher (and `http.get` through
// the agent) goes to the host `vault.<zone>` whenever that name exists in DNS or the URL names a port, even when
// someone published `_vault._tcp.<zone>` beside it; only a name that does not exist is read as its service.
// Against the local zone's real DNS server; the "network" below stands in for the caller's own name resolution
// and port 80 (the hosts of the zone listen on loopback, on ports the tests choose).
import { strict as assert } from "node:assert";
import http from "node:http";
import type { AddressInfo, LookupFunction } from "node:net";
import type { Route53Client } from "@aws-sdk/client-route-53";
import { createAgent, createDispatcher, createResolver, type Resolver } from "@ecssd/resolver";
import { type Agent, buildConnector, type Dispatcher, Pool } from "undici";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { route53Client } from "../../route53";
import { AuthoritativeServer } from "../kit/authoritativeServer";
import { changeZone } from "../kit/zoneSeeding";

const SECRET = "Bearer s3cr3t-meant-for-the-host";
const REQUESTS = 5;

interface Server {
  readonly port: number;
  readonly hits: { host: string | undefined; authorization: string | undefined }[];
  close(): Promise<void>;
}

async function startServer(name: string): Promise<Server> {
  const hits: Server["hits"] = [];
  const server = http.createServer((req, res) => {
    hits.push({ host: req.headers.host, authorization: req.headers.authorization });
    res.end(name);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The caller's network for the dispatcher: `name[:port]` (as a URL writes it) → the loopback port that host
 * listens on. Every other origin (the instances the dispatcher picks) is connected to as written.
 */
function network(routes: Map<string, number>): Agent.Options["factory"] {
  const connect = buildConnector({ timeout: 2_000 });
  return (origin: string | URL, opts: object): Dispatcher => {
    const port = routes.get(new URL(String(origin)).host);
    if (port === undefined) return new Pool(origin, opts);
    return new Pool(origin, {
      ...opts,
      connect: (o, callback) => connect({ ...o, hostname: "127.0.0.1", port: String(port) }, callback),
    });
  };
}

/** The same for http.request: every name resolves to loopback (the port is the request's). */
const loopback: LookupFunction = (_hostname, options, callback) => {
  const cb = callback as (err: Error | null, address: unknown, family?: number) => void;
  if ((options as { all?: boolean }).all) cb(null, [{ address: "127.0.0.1", family: 4 }]);
  else cb(null, "127.0.0.1", 4);
};

describe("short names never shadow a host", function () {
  this.timeout(30_000);
  let zone: LocalZone;
  let brought: LocalZone;
  let route53: Route53Client;
  let broughtRoute53: Route53Client;
  const open: Server[] = [];

  before(async () => {
    zone = await startLocalZone({ soaMinimumTtl: 1 });
    brought = await startLocalZone({ soaMinimumTtl: 1, zoneName: "corp.example" });
    route53 = route53Client({ endpoint: zone.apiUrl });
    broughtRoute53 = route53Client({ endpoint: brought.apiUrl });
  });
  after(async () => {
    for (const s of open) await s.close();
    route53.destroy();
    broughtRoute53.destroy();
    await zone.close();
    await brought.close();
  });

  async function server(name: string): Promise<Server> {
    const s = await startServer(name);
    open.push(s);
    return s;
  }

  function resolverOf(z: LocalZone): Resolver {
    return createResolver({ servers: [`${z.dns.host}:${z.dns.port}`], domain: z.zoneName, timeoutMs: 1000 });
  }

  async function upsert(z: LocalZone, client: Route53Client, name: string, type: string, value: string) {
    await changeZone(client, z.hostedZoneId, [
      {
        Action: "UPSERT",
        ResourceRecordSet: { Name: name, Type: type as "A", TTL: 60, ResourceRecords: [{ Value: value }] },
      },
    ]);
  }

  /** An intruder's container publishes `label` as a service: an SRV set pointing at its own port. */
  async function intrude(z: LocalZone, client: Route53Client, label: string, port: number) {
    await upsert(z, client, `intruder-host.${z.zoneName}`, "A", "127.0.0.1");
    await changeZone(client, z.hostedZoneId, [
      {
        Action: "UPSERT",
        ResourceRecordSet: {
          Name: `_${label}._tcp.${z.zoneName}`,
          Type: "SRV",
          TTL: 60,
          SetIdentifier: `intruder-${port}`,
          MultiValueAnswer: true,
          ResourceRecords: [{ Value: `1 1 ${port} intruder-host.${z.zoneName}` }],
        },
      },
    ]);
  }

  /** `REQUESTS` fetches of `url` with a credential; the bodies that came back. */
  async function fetchAll(url: string, dispatcher: Dispatcher): Promise<string[]> {
    const bodies: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const res = await fetch(url, {
        dispatcher,
        headers: { authorization: SECRET },
      } as unknown as RequestInit);
      bodies.push(await res.text());
    }
    return bodies;
  }

  function assertReachedHost(host: Server, intruder: Server, hostHeader: string, bodies: string[]) {
    assert.equal(
      intruder.hits.length,
      0,
      `${intruder.hits.length} of ${REQUESTS} requests went to the intruder`,
    );
    assert.deepEqual(bodies, new Array(REQUESTS).fill("host"));
    assert.equal(host.hits.length, REQUESTS);
    for (const hit of host.hits) assert.deepEqual(hit, { host: hostHeader, authorization: SECRET });
  }

  for (const [what, label] of [
    ["a host record", "vault"],
    ["an EC2 instance's host record", "i-0abc1234def567890"],
    ["a task's record", "0123456789abcdef0123456789abcdef"],
  ] as const) {
    it(`fetch: ${what} beside an intruder's _${label}._tcp goes to the host, credentials and all`, async () => {
      const [host, intruder] = [await server("host"), await server("intruder")];
      const name = `${label}.${zone.zoneName}`;
      await upsert(zone, route53, name, "A", "127.0.0.1");
      await intrude(zone, route53, label, intruder.port);
      const dispatcher = createDispatcher(resolverOf(zone), {
        agent: { factory: network(new Map([[name, host.port]])) },
      });
      try {
        assertReachedHost(host, intruder, name, await fetchAll(`http://${name}/secret`, dispatcher));
      } finally {
        await dispatcher.close();
      }
    });
  }

  it("fetch: a customer's record in a brought zone (a CNAME to its host) beside an intruder's SRV", async () => {
    const [host, intruder] = [await server("host"), await server("intruder")];
    const name = `db.${brought.zoneName}`;
    await upsert(brought, broughtRoute53, `db-primary.${brought.zoneName}`, "A", "127.0.0.1");
    await upsert(brought, broughtRoute53, name, "CNAME", `db-primary.${brought.zoneName}`);
    await intrude(brought, broughtRoute53, "db", intruder.port);
    const dispatcher = createDispatcher(resolverOf(brought), {
      agent: { factory: network(new Map([[name, host.port]])) },
    });
    try {
      assertReachedHost(host, intruder, name, await fetchAll(`http://${name}/query`, dispatcher));
    } finally {
      await dispatcher.close();
    }
  });

  it("fetch: a URL that names a port goes to that host and port, even with no record of the name", async () => {
    // The caller knows `legacy.<zone>` from elsewhere (a hosts file): the port it wrote is the one it means.
    const [host, intruder] = [await server("host"), await server("intruder")];
    const name = `legacy.${zone.zoneName}`;
    await intrude(zone, route53, "legacy", intruder.port);
    const dispatcher = createDispatcher(resolverOf(zone), {
      agent: { factory: network(new Map([[`${name}:${host.port}`, host.port]])) },
    });
    try {
      const bodies = await fetchAll(`http://${name}:${host.port}/`, dispatcher);
      assertReachedHost(host, intruder, `${name}:${host.port}`, bodies);
    } finally {
      await dispatcher.close();
    }
  });

  it("fetch: the short form still finds a service whose name is not a host's, with no port", async () => {
    const service = await server("service");
    await intrude(zone, route53, "calc", service.port); // here the SRV set is the service's own
    const dispatcher = createDispatcher(resolverOf(zone));
    try {
      const bodies = await fetchAll(`http://calc.${zone.zoneName}/add`, dispatcher);
      assert.deepEqual(bodies, new Array(REQUESTS).fill("service"));
      assert.equal(service.hits[0]?.host, `calc.${zone.zoneName}`, "Host is what the caller wrote");
    } finally {
      await dispatcher.close();
    }
  });

  it("createAgent: http.get of a host record or a URL with a port goes to the host; a free name to its service", async () => {
    const [host, intruder] = [await server("host"), await server("intruder")];
    const hostName = `vault-agent.${zone.zoneName}`;
    await upsert(zone, route53, hostName, "A", "127.0.0.1");
    await intrude(zone, route53, "vault-agent", intruder.port);
    await intrude(zone, route53, "legacy-agent", intruder.port);
    const service = await server("service");
    await intrude(zone, route53, "calc-agent", service.port);
    const agent = createAgent(resolverOf(zone));
    const get = (url: string, options: http.RequestOptions = {}) =>
      new Promise<string>((resolve, reject) => {
        http
          .get(url, { agent, lookup: loopback, headers: { authorization: SECRET }, ...options }, (res) => {
            let body = "";
            res.on("data", (c) => {
              body += c;
            });
            res.on("end", () => resolve(body));
          })
          .on("error", reject);
      });
    try {
      const bodies: string[] = [];
      // No port in the URL: the host's "port 80" is the request's defaultPort.
      for (let i = 0; i < REQUESTS; i++)
        bodies.push(await get(`http://${hostName}/`, { defaultPort: host.port }));
      assertReachedHost(host, intruder, hostName, bodies);
      const legacy = `legacy-agent.${zone.zoneName}:${host.port}`;
      assert.equal(await get(`http://${legacy}/`), "host");
      assert.equal(host.hits.at(-1)?.host, legacy);
      assert.equal(intruder.hits.length, 0);
      assert.equal(await get(`http://calc-agent.${zone.zoneName}/`), "service");
    } finally {
      agent.destroy();
    }
  });
});

describe("short names: the decision is cached with the answers", () => {
  const ZONE = "servicediscovery.internal";
  let dns: AuthoritativeServer;
  let service: Server;
  let host: Server;

  before(async () => {
    dns = await AuthoritativeServer.start({ zone: ZONE, soaTtl: 30 });
    service = await startServer("service");
    host = await startServer("host");
    dns.addService(
      `_calc._tcp.${ZONE}`,
      [{ target: `h1.${ZONE}`, address: "127.0.0.1", port: service.port }],
      30,
    );
    dns.set(`vault.${ZONE}`, "A", [{ name: `vault.${ZONE}`, type: "A", ttl: 30, data: "127.0.0.1" }]);
  });
  after(async () => {
    await service.close();
    await host.close();
    await dns.close();
  });

  it("asks DNS once per name, then routes every request from the cache", async () => {
    const dispatcher = createDispatcher(
      createResolver({ servers: [dns.endpoint], domain: ZONE, maxNegativeTtlSeconds: 30 }),
      { agent: { factory: network(new Map([[`vault.${ZONE}`, host.port]])) } },
    );
    try {
      for (let i = 0; i < 20; i++) {
        assert.equal(
          await (await fetch(`http://calc.${ZONE}/`, { dispatcher } as unknown as RequestInit)).text(),
          "service",
        );
        assert.equal(
          await (await fetch(`http://vault.${ZONE}/`, { dispatcher } as unknown as RequestInit)).text(),
          "host",
        );
      }
      assert.equal(dns.count("A", `calc.${ZONE}`), 1, "the free name's NXDOMAIN is cached");
      assert.equal(dns.count("SRV", `_calc._tcp.${ZONE}`), 1);
      assert.equal(dns.count("A", `vault.${ZONE}`), 1, "the host's address answer is cached");
      assert.equal(service.hits.length, 20);
      assert.equal(host.hits.length, 20);
    } finally {
      await dispatcher.close();
    }
  });

  it("fails the request with the servers' error when they cannot say whether the name exists", async () => {
    const silent = await AuthoritativeServer.start({ zone: ZONE });
    silent.hook = () => true;
    const resolver = createResolver({
      servers: [silent.endpoint],
      domain: ZONE,
      timeoutMs: 200,
      attempts: 1,
    });
    const dispatcher = createDispatcher(resolver);
    try {
      const err = await fetch(`http://calc.${ZONE}/`, { dispatcher } as unknown as RequestInit).then(
        () => assert.fail("nothing was answered"),
        (e: Error) => (e as { cause?: Error }).cause,
      );
      assert.equal(err?.name, "TimeoutError");
      assert.match(err?.message ?? "", new RegExp(`A calc\\.${ZONE.replace(".", "\\.")}`));
    } finally {
      await dispatcher.close();
      resolver.close();
      await silent.close();
    }
  });
});
