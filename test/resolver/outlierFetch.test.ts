// Outlier detection end to end: `fetch` through the dispatcher and `http.get` through the agent, against ten
// instances of a service on 127.0.0.1 ... 127.0.0.10. One that answers 503 to everything, or one that refuses every
// connection, is ejected within 5 of its requests and gets no traffic while ejected.
import { strict as assert } from "node:assert";
import diagnostics from "node:diagnostics_channel";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createAgent, createDispatcher, createResolver, type Resolver } from "@ecssd/resolver";
import { AuthoritativeServer } from "../kit/authoritativeServer";
import { seededRandom } from "./support/seededRandom";

const ZONE = "servicediscovery.internal";
const REQUESTS = 300;

interface Instance {
  readonly address: string;
  readonly port: number;
  hits: number;
  close(): Promise<void>;
}

/** An HTTP server on `address` answering `status` (and its address) to every request. */
async function startInstance(address: string, status: number): Promise<Instance> {
  const server = http.createServer((_req, res) => {
    instance.hits++;
    res.statusCode = status;
    res.end(address);
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const instance: Instance = {
    address,
    port: (server.address() as AddressInfo).port,
    hits: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return instance;
}

describe("outlier detection through fetch and http.get", function () {
  this.timeout(30_000);
  let dns: AuthoritativeServer;
  let fleet: Instance[];
  let resolver: Resolver;
  let ejected: { reason: string; port: number }[];
  const onEjected = (m: unknown) => {
    const message = m as { reason: string; endpoint: { port: number } };
    ejected.push({ reason: message.reason, port: message.endpoint.port });
  };

  beforeEach(async () => {
    dns = await AuthoritativeServer.start({ zone: ZONE });
    ejected = [];
    diagnostics.subscribe("ecssd:outlier:ejected", onEjected);
  });
  afterEach(async () => {
    diagnostics.unsubscribe("ecssd:outlier:ejected", onEjected);
    resolver.close();
    for (const i of fleet) await i.close();
    await dns.close();
  });

  /**
   * Ten instances of `_name._tcp` on 127.0.0.1 ... 127.0.0.10, the first answering `firstStatus` (the rest 200);
   * with `firstDead`, nothing listens on the first one's port. The connection back-off is turned off, so a dead
   * instance keeps its share of the picks until outlier detection ejects it.
   */
  async function serve(name: string, firstStatus: number, firstDead = false): Promise<Instance> {
    fleet = await Promise.all(
      Array.from({ length: 10 }, (_, i) => startInstance(`127.0.0.${i + 1}`, i === 0 ? firstStatus : 200)),
    );
    if (firstDead) await fleet[0]!.close();
    dns.addService(
      `_${name}._tcp.${ZONE}`,
      fleet.map((i) => ({ target: `h${i.address.split(".")[3]}.${ZONE}`, address: i.address, port: i.port })),
      3600,
      3600,
    );
    resolver = createResolver({
      servers: [dns.endpoint],
      random: seededRandom(11),
      failureBackoffMs: 0,
      maxFailureBackoffMs: 0,
    });
    return fleet[0]!;
  }

  function firstInstanceStats() {
    const service = resolver.stats().outlierDetection.services[0];
    return service?.instances.find((i) => i.instance === `${fleet[0]!.address}:${fleet[0]!.port}`);
  }

  it("fetch: an instance answering 503 to everything gets exactly 5 requests, then none while ejected", async () => {
    const bad = await serve("busy", 503);
    const dispatcher = createDispatcher(resolver);
    const statuses: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const res = await fetch(`http://_busy._tcp.${ZONE}/`, { dispatcher } as unknown as RequestInit);
      await res.text();
      statuses.push(res.status);
    }
    assert.equal(bad.hits, 5);
    assert.equal(statuses.filter((s) => s === 503).length, 5, "the caller saw the five, no more");
    assert.equal(
      fleet.reduce((sum, i) => sum + i.hits, 0),
      REQUESTS,
    );
    assert.deepEqual(ejected, [{ reason: "consecutive-gateway-errors", port: bad.port }]);
    assert.equal(firstInstanceStats()?.ejected, true);
    assert.equal(firstInstanceStats()?.ejections, 1);
    await dispatcher.close();
  });

  it("fetch with retryOnUnavailable: the five 503s are retried elsewhere and still eject the instance", async () => {
    const bad = await serve("retried", 503);
    const dispatcher = createDispatcher(resolver, { retryOnUnavailable: true });
    for (let i = 0; i < REQUESTS; i++) {
      const res = await fetch(`http://_retried._tcp.${ZONE}/`, { dispatcher } as unknown as RequestInit);
      await res.text();
      assert.equal(res.status, 200, `request ${i}`);
    }
    assert.equal(bad.hits, 5);
    assert.deepEqual(ejected, [{ reason: "consecutive-gateway-errors", port: bad.port }]);
    await dispatcher.close();
  });

  it("fetch: an instance refusing every connection is ejected after 5, and no request tries it afterwards", async () => {
    await serve("refusing", 200, true);
    const dispatcher = createDispatcher(resolver, { instanceHeaders: true });
    const attempts: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const res = await fetch(`http://_refusing._tcp.${ZONE}/`, { dispatcher } as unknown as RequestInit);
      await res.text();
      assert.equal(res.status, 200, `request ${i}: failed over`);
      attempts.push(Number(res.headers.get("x-ecssd-attempts")));
    }
    const failovers = attempts.map((n, i) => (n > 1 ? i : -1)).filter((i) => i >= 0);
    assert.equal(failovers.length, 5, `requests that met the dead instance: ${failovers}`);
    assert.deepEqual(ejected, [{ reason: "connection-failures", port: fleet[0]!.port }]);
    await dispatcher.close();
  });

  it("http.get through the agent: an instance answering 503 to everything gets exactly 5 requests", async () => {
    const bad = await serve("agent-busy", 503);
    const agent = createAgent(resolver);
    let seen503 = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const status = await new Promise<number>((resolve, reject) => {
        http
          .get(`http://_agent-busy._tcp.${ZONE}/`, { agent }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          })
          .on("error", reject);
      });
      if (status === 503) seen503++;
    }
    assert.equal(bad.hits, 5);
    assert.equal(seen503, 5);
    assert.deepEqual(ejected, [{ reason: "consecutive-gateway-errors", port: bad.port }]);
    assert.equal(firstInstanceStats()?.ejected, true);
    agent.destroy();
  });

  /** Requests each connection has carried: a connection's second is one taken from its pool (free or queued). */
  const carried = new WeakMap<object, number>();

  /**
   * One http.get through `agent`: how many instances its connection tried (`x-ecssd-attempts`), and whether it went
   * on a kept-alive connection pooled under another instance's key than the one the connection reached.
   */
  function getThrough(agent: http.Agent, url: string): Promise<{ tried: number; misplaced: boolean }> {
    return new Promise((resolve, reject) => {
      http
        .get(url, { agent }, (res) => {
          const socket = res.socket;
          // The pool key of a connection in use: the `address:port:` its agent's sockets list it under.
          const key = Object.entries(agent.sockets).find(([, list]) => list?.includes(socket))?.[0];
          const count = (carried.get(socket) ?? 0) + 1;
          carried.set(socket, count);
          // Node marks only a connection taken from the free list as reused; one handed to a queued request is not.
          const misplaced = count > 1 && !key?.startsWith(`${socket.remoteAddress}:${socket.remotePort}:`);
          res.resume();
          res.on("end", () => resolve({ tried: Number(res.headers["x-ecssd-attempts"]), misplaced }));
        })
        .on("error", reject);
    });
  }

  it("http.get through the agent, keep-alive: an instance refusing every connection is ejected after 5", async () => {
    await serve("agent-refusing", 200, true);
    const agent = createAgent(resolver, { instanceHeaders: true });
    let failovers = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const got = await getThrough(agent, `http://_agent-refusing._tcp.${ZONE}/`);
      assert.equal(got.misplaced, false, `request ${i} went on a connection pooled as another instance`);
      if (got.tried > 1) failovers++;
    }
    // A connection that failed over serves its one request and closes: later picks of the dead instance connect
    // to it afresh, each refusal counted, until it is ejected.
    assert.equal(failovers, 5);
    assert.deepEqual(ejected, [{ reason: "connection-failures", port: fleet[0]!.port }]);
    for (const [key, free] of Object.entries(agent.freeSockets)) {
      for (const socket of free ?? []) {
        assert.ok(
          key.startsWith(`${socket.remoteAddress}:${socket.remotePort}:`),
          `${key} holds another's socket`,
        );
      }
    }
    agent.destroy();
  });

  it("http.get through the agent, keep-alive with maxSockets 1: queued requests never take a failed-over connection", async () => {
    await serve("agent-queued", 200, true);
    // One connection per instance at a time, so requests picked for the dead instance queue for its pool's one
    // connection; Node hands a freed connection straight to the next queued request of the same pool.
    const agent = createAgent(resolver, { instanceHeaders: true, maxSockets: 1 });
    const BATCH = 20;
    let failovers = 0;
    let lateFailovers = 0;
    for (let i = 0; i < REQUESTS; i += BATCH) {
      const batch = await Promise.all(
        Array.from({ length: BATCH }, () => getThrough(agent, `http://_agent-queued._tcp.${ZONE}/`)),
      );
      for (const got of batch) {
        assert.equal(
          got.misplaced,
          false,
          `a request of batch ${i / BATCH} went on another instance's connection`,
        );
        if (got.tried > 1) failovers++;
        if (got.tried > 1 && ejected.length > 0 && i >= REQUESTS / 2) lateFailovers++;
      }
    }
    // Connections already under way when the fifth refusal ejects it may meet it too, but no later one does.
    assert.ok(failovers >= 5, `failovers: ${failovers}`);
    assert.equal(lateFailovers, 0);
    assert.deepEqual(ejected, [{ reason: "connection-failures", port: fleet[0]!.port }]);
    agent.destroy();
  });
});
