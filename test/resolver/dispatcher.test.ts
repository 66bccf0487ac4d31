// `fetch` through the service dispatcher, against HTTP(S) servers on loopback registered in the local zone:
// RFC 2782 split, the caller's Host and TLS server name, failover and ejection, no replay of a POST, and
// clear errors for names without instances and for hostile DNS.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Route53Client } from "@aws-sdk/client-route-53";
import {
  createAgent,
  createDispatcher,
  createResolver,
  type Resolver,
  ResolverError,
  ServiceRequestError,
} from "@ecssd/resolver";
import { fetch as undiciFetch, request as undiciRequest } from "undici";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { route53Client } from "../../route53";
import { AuthoritativeServer } from "../kit/authoritativeServer";
import { changeZone } from "../kit/zoneSeeding";
import { CHI2_P001, chiSquare, seededRandom } from "./support/seededRandom";

interface Instance {
  name: string;
  port: number;
  hits: { method: string; host: string | undefined; servername?: string | false; body: string }[];
  close(): Promise<void>;
}

async function startInstance(
  name: string,
  server: http.Server | https.Server = http.createServer(),
): Promise<Instance> {
  const hits: Instance["hits"] = [];
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const tls = req.socket as { servername?: string | false };
      hits.push({ method: req.method ?? "", host: req.headers.host, servername: tls.servername, body });
      res.end(name);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe("createDispatcher: fetch that finds services", function () {
  this.timeout(30_000);
  let zone: LocalZone;
  let route53: Route53Client;
  const open: Instance[] = [];

  before(async () => {
    zone = await startLocalZone({ soaMinimumTtl: 1 });
    route53 = route53Client({ endpoint: zone.apiUrl });
    await changeZone(route53, zone.hostedZoneId, [
      {
        Action: "UPSERT",
        ResourceRecordSet: {
          Name: `h1.${zone.zoneName}`,
          Type: "A",
          TTL: 60,
          ResourceRecords: [{ Value: "127.0.0.1" }],
        },
      },
    ]);
  });
  after(async () => {
    for (const i of open) await i.close();
    route53.destroy();
    await zone.close();
  });

  /** Registers instances of `service` (priority, weight each) as the agent would: one SRV set per instance. */
  async function register(
    service: string,
    instances: { port: number; priority?: number; weight?: number }[],
  ) {
    await changeZone(
      route53,
      zone.hostedZoneId,
      instances.map((i) => ({
        Action: "UPSERT",
        ResourceRecordSet: {
          Name: `${service}.${zone.zoneName}`,
          Type: "SRV",
          TTL: 10,
          SetIdentifier: `i-${i.port}`,
          MultiValueAnswer: true,
          ResourceRecords: [{ Value: `${i.priority ?? 1} ${i.weight ?? 1} ${i.port} h1.${zone.zoneName}` }],
        },
      })),
    );
  }

  function resolverFor(seed = 1): Resolver {
    return createResolver({
      servers: [`${zone.dns.host}:${zone.dns.port}`],
      domain: zone.zoneName,
      random: seededRandom(seed),
      timeoutMs: 1000,
    });
  }

  async function instances(names: string[]): Promise<Instance[]> {
    const started = await Promise.all(names.map((n) => startInstance(n)));
    open.push(...started);
    return started;
  }

  it("splits requests by SRV weight (chi-square, seeded) and keeps the Host the caller wrote", async () => {
    const [a, b, c] = await instances(["a", "b", "c"]);
    await register("_split._tcp", [
      { port: a!.port, weight: 1 },
      { port: b!.port, weight: 2 },
      { port: c!.port, weight: 5 },
    ]);
    const dispatcher = createDispatcher(resolverFor(7));
    const url = `http://_split._tcp.${zone.zoneName}/hello?x=1`;
    for (let i = 0; i < 400; i++) {
      const res = await fetch(url, { dispatcher } as unknown as RequestInit);
      await res.text();
      assert.equal(res.status, 200);
    }
    const counts = [a!, b!, c!].map((i) => i.hits.length);
    assert.equal(
      counts.reduce((x, y) => x + y),
      400,
    );
    assert.ok(chiSquare(counts, [1 / 8, 2 / 8, 5 / 8]) < CHI2_P001[2]!, `counts ${counts}`);
    assert.ok(
      a!.hits.every((h) => h.host === `_split._tcp.${zone.zoneName}`),
      a!.hits[0]?.host,
    );
    await dispatcher.close();
  });

  it("works with undici's own request and fetch, and the short form calc.<domain>", async () => {
    const [only] = await instances(["only"]);
    await register("_short._tcp", [{ port: only!.port }]);
    const dispatcher = createDispatcher(resolverFor());
    const viaRequest = await undiciRequest(`http://_short._tcp.${zone.zoneName}/r`, { dispatcher });
    assert.equal(await viaRequest.body.text(), "only");
    const viaFetch = await undiciFetch(`http://short.${zone.zoneName}/f`, { dispatcher });
    assert.equal(await viaFetch.text(), "only");
    assert.equal(only!.hits[1]?.host, `short.${zone.zoneName}`, "the short name is what the server sees");
    await dispatcher.close();
  });

  it("sends every other host to the plain agent, unchanged", async () => {
    const [plain] = await instances(["plain"]);
    const dispatcher = createDispatcher(resolverFor());
    const res = await fetch(`http://127.0.0.1:${plain!.port}/direct`, {
      dispatcher,
    } as unknown as RequestInit);
    assert.equal(await res.text(), "plain");
    assert.equal(plain!.hits[0]?.host, `127.0.0.1:${plain!.port}`);
    await dispatcher.close();
  });

  it("fails over from a killed instance, ejects it, and names every instance tried when none is left", async () => {
    const [live, doomed] = await instances(["live", "doomed"]);
    await register("_failover._tcp", [
      { port: doomed!.port, priority: 0 },
      { port: live!.port, priority: 1 },
    ]);
    const resolver = resolverFor();
    const dispatcher = createDispatcher(resolver);
    const url = `http://_failover._tcp.${zone.zoneName}/`;
    assert.equal(
      await (await fetch(url, { dispatcher } as unknown as RequestInit)).text(),
      "doomed",
      "priority 0 first",
    );
    await doomed!.close();
    for (let i = 0; i < 5; i++) {
      assert.equal(
        await (await fetch(url, { dispatcher } as unknown as RequestInit)).text(),
        "live",
        `request ${i}`,
      );
    }
    assert.equal(doomed!.hits.length, 1);
    await live!.close();
    const err = await fetch(url, { dispatcher } as unknown as RequestInit).then(
      () => assert.fail("no instance is left"),
      (e: Error) => e,
    );
    const cause = (err as { cause?: unknown }).cause;
    assert.ok(cause instanceof ServiceRequestError, String(cause));
    assert.equal(cause.attempts.length, 2);
    // Refused, or a kept-alive connection the instance closed before answering: both are the instance's fault.
    for (const port of [doomed!.port, live!.port]) {
      assert.match(cause.message, new RegExp(`${port} \\(127\\.0\\.0\\.1\\): (ECONNREFUSED|UND_ERR_SOCKET)`));
    }
    await dispatcher.close();
  });

  it("serves callers with undici's newer handler shape too: an interceptor composed on top", async () => {
    // fetch and request() speak undici's older callbacks; an interceptor composed on the dispatcher hands it the
    // newer ones. Both must get failover, the 503 retry and the instance headers.
    const [ok] = await instances(["ok"]);
    const busy = await startInstance(
      "busy",
      http.createServer((_req, res) => {
        res.statusCode = 503;
        res.end();
      }),
    );
    open.push(busy);
    const dead = (await instances(["dead"]))[0]!;
    await dead.close();
    await register("_shape._tcp", [
      { port: dead.port, priority: 0 },
      { port: busy.port, priority: 1 },
      { port: ok!.port, priority: 2 },
    ]);
    const dispatcher = createDispatcher(resolverFor(), {
      retryOnUnavailable: true,
      instanceHeaders: true,
      attempts: 3,
    });
    const composed = dispatcher.compose(
      (dispatch) => (opts, handler) =>
        dispatch({ ...opts, headers: { ...(opts.headers as object), "x-via": "interceptor" } }, handler),
    );
    const res = await undiciFetch(`http://_shape._tcp.${zone.zoneName}/`, { dispatcher: composed });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "ok");
    assert.equal(res.headers.get("x-ecssd-attempts"), "3", "dead, then busy, then ok");
    assert.match(
      res.headers.get("x-ecssd-instance") ?? "",
      new RegExp(`:${ok!.port} \\(127\\.0\\.0\\.1\\)$`),
    );
    assert.equal(ok!.hits.at(-1)?.host, `_shape._tcp.${zone.zoneName}`);
    await dispatcher.close();
  });

  it("replaces an instance's own x-ecssd-instance and x-ecssd-attempts with ours, never appends to them", async () => {
    const liar = await startInstance(
      "liar",
      http.createServer((_req, res) => {
        res.setHeader("x-ecssd-instance", "trusted-host:443 (10.9.9.9)");
        res.setHeader("X-Ecssd-Attempts", "7");
        res.setHeader("x-other", "kept");
        res.end("liar");
      }),
    );
    open.push(liar);
    await register("_liar._tcp", [{ port: liar.port }]);
    const url = `http://_liar._tcp.${zone.zoneName}/`;
    const ours = new RegExp(
      `^h1\\.${zone.zoneName.replace(/\./g, "\\.")}:${liar.port} \\(127\\.0\\.0\\.1\\)$`,
    );
    const dispatcher = createDispatcher(resolverFor(), { instanceHeaders: true });
    // fetch speaks undici's older handler shape, an interceptor composed on top the newer one.
    const composed = dispatcher.compose((dispatch) => (opts, handler) => dispatch(opts, handler));
    for (const res of [
      await fetch(url, { dispatcher } as unknown as RequestInit),
      await undiciFetch(url, { dispatcher: composed }),
    ]) {
      assert.equal(await res.text(), "liar");
      assert.match(res.headers.get("x-ecssd-instance") ?? "", ours);
      assert.equal(res.headers.get("x-ecssd-attempts"), "1");
      assert.equal(res.headers.get("x-other"), "kept");
    }
    const plain = createDispatcher(resolverFor());
    const untouched = await fetch(url, { dispatcher: plain } as unknown as RequestInit);
    assert.equal(
      untouched.headers.get("x-ecssd-instance"),
      "trusted-host:443 (10.9.9.9)",
      "not asked: not ours to touch",
    );
    await Promise.all([dispatcher.close(), plain.close()]);
  });

  it("never replays a POST, and retries a GET on 503 only when asked", async () => {
    const [ok] = await instances(["ok"]);
    const busy = await startInstance(
      "busy",
      http.createServer((_req, res) => {
        res.statusCode = 503;
      }),
    );
    open.push(busy);
    const deadPort = (await instances(["dead"]))[0]!;
    await deadPort.close();
    await register("_post._tcp", [
      { port: deadPort.port, priority: 0 },
      { port: ok!.port, priority: 1 },
    ]);
    const dispatcher = createDispatcher(resolverFor());
    const post = await fetch(`http://_post._tcp.${zone.zoneName}/`, {
      dispatcher,
      method: "POST",
      body: "charge-once",
    } as unknown as RequestInit).then(
      () => "sent",
      (e: Error) => (e as { cause?: Error }).cause,
    );
    assert.ok(post instanceof ServiceRequestError, String(post));
    assert.equal(post.attempts.length, 1, "one instance tried, the POST not sent again");
    assert.equal(ok!.hits.length, 0);

    await register("_busy._tcp", [
      { port: busy.port, priority: 0 },
      { port: ok!.port, priority: 1 },
    ]);
    const plain = createDispatcher(resolverFor());
    assert.equal(
      (await fetch(`http://_busy._tcp.${zone.zoneName}/`, { dispatcher: plain } as unknown as RequestInit))
        .status,
      503,
    );
    const retrying = createDispatcher(resolverFor(), { retryOnUnavailable: true });
    const res = await fetch(`http://_busy._tcp.${zone.zoneName}/`, {
      dispatcher: retrying,
    } as unknown as RequestInit);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "ok");
    await Promise.all([dispatcher.close(), plain.close(), retrying.close()]);
  });

  it("rejects a name with no SRV records with the resolver's NotFoundError", async () => {
    const dispatcher = createDispatcher(resolverFor());
    const err = await fetch(`http://_nothing._tcp.${zone.zoneName}/`, {
      dispatcher,
    } as unknown as RequestInit).then(
      () => assert.fail("nothing is registered"),
      (e: Error) => e,
    );
    assert.equal((err as { cause?: Error }).cause?.name, "NotFoundError");
    await dispatcher.close();
  });

  it("keeps the caller's name as the TLS server name and checks the certificate against it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ecssd-tls-"));
    try {
      const name = `_secure._tcp.${zone.zoneName}`;
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-days",
          "1",
          "-subj",
          "/CN=ecssd-test",
          "-addext",
          `subjectAltName=DNS:${name}`,
          "-keyout",
          path.join(dir, "key.pem"),
          "-out",
          path.join(dir, "cert.pem"),
        ],
        { stdio: "ignore" },
      );
      const cert = readFileSync(path.join(dir, "cert.pem"));
      const secure = await startInstance(
        "secure",
        https.createServer({ key: readFileSync(path.join(dir, "key.pem")), cert }),
      );
      open.push(secure);
      await register("_secure._tcp", [{ port: secure.port }]);
      const dispatcher = createDispatcher(resolverFor(), { agent: { connect: { ca: cert } } });
      const res = await fetch(`https://${name}/tls`, { dispatcher } as unknown as RequestInit);
      assert.equal(await res.text(), "secure");
      assert.equal(secure.hits[0]?.servername, name);
      assert.equal(secure.hits[0]?.host, name);
      await dispatcher.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("createAgent: a plain http.get reaches an instance, with the caller's Host, past a dead one", async () => {
    const [up, gone] = await instances(["up", "gone"]);
    await gone!.close();
    await register("_agent._tcp", [
      { port: gone!.port, priority: 0 },
      { port: up!.port, priority: 1 },
    ]);
    const agent = createAgent(resolverFor());
    const get = (url: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        http
          .get(url, { agent }, (res) => {
            let body = "";
            res.on("data", (c) => {
              body += c;
            });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
          })
          .on("error", reject);
      });
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await get(`http://_agent._tcp.${zone.zoneName}/x`), { status: 200, body: "up" });
    }
    assert.equal(up!.hits[0]?.host, `_agent._tcp.${zone.zoneName}`);
    await up!.close();
    // The kept-alive socket to `up` leaves the pool once its close is seen; a request on it would be a reset
    // after sending, which no agent may replay.
    for (let i = 0; i < 100 && Object.keys(agent.freeSockets).length > 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    const err = await get(`http://_agent._tcp.${zone.zoneName}/x`).then(
      () => assert.fail("nothing is up"),
      (e: Error) => e,
    );
    assert.ok(err instanceof ServiceRequestError, String(err));
    assert.equal(err.attempts.length, 2);
    agent.destroy();
  });

  it("createAgent with instanceHeaders: ours replace the instance's own, on a new and on a kept-alive connection", async () => {
    const liar = await startInstance(
      "liar",
      http.createServer((_req, res) => {
        res.setHeader("X-Ecssd-Instance", "trusted-host:443 (10.9.9.9)");
        res.setHeader("x-ecssd-attempts", "7");
        res.end("liar");
      }),
    );
    open.push(liar);
    const gone = (await instances(["gone"]))[0]!;
    await gone.close();
    await register("_liar-agent._tcp", [
      { port: gone.port, priority: 0 },
      { port: liar.port, priority: 1 },
    ]);
    const agent = createAgent(resolverFor(), { instanceHeaders: true });
    const get = () =>
      new Promise<http.IncomingMessage>((resolve, reject) => {
        http
          .get(`http://_liar-agent._tcp.${zone.zoneName}/`, { agent }, (res) => {
            res.resume();
            res.on("end", () => resolve(res));
          })
          .on("error", reject);
      });
    const ours = `h1.${zone.zoneName}:${liar.port} (127.0.0.1)`;
    for (const attempts of ["2", "1"]) {
      const res = await get();
      assert.equal(res.headers["x-ecssd-instance"], ours);
      assert.equal(
        res.headers["x-ecssd-attempts"],
        attempts,
        "the dead instance first, then a kept-alive socket",
      );
      assert.deepEqual(res.headersDistinct["x-ecssd-instance"], [ours]);
      const raw = res.rawHeaders.filter((_v, i) => i % 2 === 0).map((n) => n.toLowerCase());
      assert.equal(raw.filter((n) => n === "x-ecssd-instance").length, 1);
      assert.equal(raw.filter((n) => n === "x-ecssd-attempts").length, 1);
    }
    agent.destroy();
  });

  it("turns a hostile DNS server's garbage into a ResolverError, and keeps serving other hosts", async () => {
    const hostile = await AuthoritativeServer.start({ zone: zone.zoneName });
    hostile.hook = (ctx) => {
      ctx.send(Buffer.from("\xff\xfe not a DNS message at all \x00\x01", "latin1"));
      return true;
    };
    const [plain] = await instances(["still-here"]);
    const resolver = createResolver({
      servers: [hostile.endpoint],
      domain: zone.zoneName,
      timeoutMs: 300,
      attempts: 1,
    });
    const dispatcher = createDispatcher(resolver);
    try {
      const err = await fetch(`http://_calc._tcp.${zone.zoneName}/`, {
        dispatcher,
      } as unknown as RequestInit).then(
        () => assert.fail("nothing trustworthy was answered"),
        (e: Error) => e,
      );
      assert.ok(
        (err as { cause?: unknown }).cause instanceof ResolverError,
        String((err as { cause?: unknown }).cause),
      );
      const res = await fetch(`http://127.0.0.1:${plain!.port}/`, { dispatcher } as unknown as RequestInit);
      assert.equal(await res.text(), "still-here");
    } finally {
      await dispatcher.close();
      resolver.close();
      await hostile.close();
    }
  });
});
