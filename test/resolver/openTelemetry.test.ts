// OpenTelemetry and the diagnostics channels, with the SDK's in-memory readers and exporters: dns.lookup.duration for
// answered and failed lookups, the outlier and failover metrics, undici's own instrumentation seeing the service's
// name and failovers through undiciStartSpanHook, the channel messages for plain subscribers, and no cost and no
// error where OpenTelemetry is absent, off, or has no SDK.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import dgram from "node:dgram";
import diagnostics from "node:diagnostics_channel";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import {
  type AttemptMessage,
  CHANNEL_NAMES,
  createDispatcher,
  createResolver,
  type EjectedMessage,
  enableOpenTelemetry,
  type LookupMessage,
  type Resolver,
  type ResolverInstrumentation,
  undiciStartSpanHook,
} from "@ecssd/resolver";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import {
  type DataPoint,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { fetch as undiciFetch } from "undici";
import {
  attemptChannel,
  ejectedChannel,
  lookupChannel,
  returnedChannel,
} from "../../resolver/src/diagnostics";
import { AuthoritativeServer } from "../kit/authoritativeServer";

const ZONE = "servicediscovery.internal";
const SERVICE = `_calc._tcp.${ZONE}`;
const REPO = path.join(__dirname, "..", "..");

/** A reader the test collects from when it wants. */
class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** The data points of one metric, or undefined when it was never recorded. */
function points(collected: ResourceMetrics, name: string): DataPoint<unknown>[] | undefined {
  for (const scope of collected.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name === name) return metric.dataPoints as DataPoint<unknown>[];
    }
  }
  return undefined;
}

/** A port on loopback where nothing listens (UDP and TCP alike refuse it). */
async function deadPort(): Promise<number> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe("OpenTelemetry and diagnostics channels", function () {
  this.timeout(20_000);
  let dns: AuthoritativeServer;
  let server: http.Server;
  let port: number;
  let reader: TestReader;
  let meterProvider: MeterProvider;
  const resolvers: Resolver[] = [];
  const bridges: ResolverInstrumentation[] = [];

  function resolver(servers = [dns.endpoint]): Resolver {
    const r = createResolver({ servers, timeoutMs: 300, attempts: 1 });
    resolvers.push(r);
    return r;
  }

  function bridge(): ResolverInstrumentation {
    const b = enableOpenTelemetry({ meterProvider });
    bridges.push(b);
    return b;
  }

  async function collect(): Promise<ResourceMetrics> {
    const { resourceMetrics, errors } = await reader.collect();
    assert.deepEqual(errors, []);
    return resourceMetrics;
  }

  before(async () => {
    server = http.createServer((req, res) => res.end(`hello ${req.headers.host}`));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(async () => {
    dns = await AuthoritativeServer.start({ zone: ZONE });
    dns.addService(SERVICE, [{ target: `h1.${ZONE}`, address: "127.0.0.1", port }]);
    reader = new TestReader();
    meterProvider = new MeterProvider({ readers: [reader] });
  });
  afterEach(async () => {
    for (const b of bridges.splice(0)) b.disable();
    for (const r of resolvers.splice(0)) r.close();
    await meterProvider.shutdown();
    await dns.close();
  });

  describe("metrics", () => {
    it("records dns.lookup.duration in seconds with the name asked", async () => {
      bridge();
      await resolver().pick("calc");
      const lookups = points(await collect(), "dns.lookup.duration");
      assert.ok(lookups, "dns.lookup.duration recorded");
      assert.deepEqual(
        lookups.map((p) => p.attributes),
        [{ "dns.question.name": SERVICE }],
      );
      const value = lookups[0]!.value as { count: number; sum: number };
      assert.equal(value.count, 1);
      assert.ok(
        value.sum > 0 && value.sum < 1,
        `a loopback lookup takes well under a second, got ${value.sum} s`,
      );
    });

    it("records the error's class as error.type when no server answers", async () => {
      bridge();
      const r = resolver([`127.0.0.1:${await deadPort()}`]);
      await assert.rejects(r.pick("calc"), { name: "ServerFailureError" });
      const lookups = points(await collect(), "dns.lookup.duration");
      assert.deepEqual(
        lookups?.map((p) => p.attributes),
        [{ "dns.question.name": SERVICE, "error.type": "ServerFailureError" }],
      );
    });

    it("counts ejections and the instances ejected now, by service, from the ejection channel", async () => {
      bridge();
      const endpoint = {
        host: `h1.${ZONE}`,
        address: "10.0.0.5",
        port: 8080,
        priority: 1,
        weight: 1,
        ttl: 10,
      };
      const ejected: EjectedMessage = {
        service: SERVICE,
        endpoint,
        reason: "consecutive-5xx",
        ejections: 1,
        durationMs: 30_000,
      };
      ejectedChannel.publish(ejected);
      ejectedChannel.publish({ ...ejected, endpoint: { ...endpoint, address: "10.0.0.6" } });
      let collected = await collect();
      assert.deepEqual(
        points(collected, "ecssd.outlier.ejections")?.map((p) => [p.attributes, p.value]),
        [[{ "ecssd.service.name": SERVICE, "ecssd.outlier.reason": "consecutive-5xx" }, 2]],
      );
      assert.deepEqual(
        points(collected, "ecssd.outlier.ejected_instances")?.map((p) => [p.attributes, p.value]),
        [[{ "ecssd.service.name": SERVICE }, 2]],
      );
      returnedChannel.publish({ service: SERVICE, endpoint });
      // An ejection whose time is over counts no more, even if its "returned" message never came.
      ejectedChannel.publish({ ...ejected, endpoint: { ...endpoint, address: "10.0.0.7" }, durationMs: 0 });
      collected = await collect();
      assert.deepEqual(
        points(collected, "ecssd.outlier.ejected_instances")?.map((p) => p.value),
        [1],
      );
    });

    it("holds a bounded number of ejections between collections, the ejections that are over first out", async () => {
      // A reader that keeps every series (the SDK's default keeps 2,000 per metric).
      const wide = new TestReader({ cardinalitySelector: () => 20_000 });
      const provider = new MeterProvider({ readers: [wide] });
      bridges.push(enableOpenTelemetry({ meterProvider: provider }));
      const ejectedNow = async (): Promise<DataPoint<unknown>[]> => {
        const { resourceMetrics, errors } = await wide.collect();
        assert.deepEqual(errors, []);
        return points(resourceMetrics, "ecssd.outlier.ejected_instances")!;
      };
      const endpoint = {
        host: `h1.${ZONE}`,
        address: "10.0.0.5",
        port: 8080,
        priority: 1,
        weight: 1,
        ttl: 10,
      };
      const eject = (service: string, address: string, durationMs: number): void =>
        ejectedChannel.publish({
          service,
          endpoint: { ...endpoint, address },
          reason: "consecutive-5xx",
          ejections: 1,
          durationMs,
        } satisfies EjectedMessage);
      // Nothing collects while these come: 9,999 services with an instance out for a minute, then one service's
      // 5,000 ejections that are over at once, each gone as the next comes, then 3 more services: past the bound
      // of 10,000 services, the 3 ejected from least recently go.
      for (let i = 0; i < 9_999; i++) eject(`_s${i}._tcp.${ZONE}`, "10.0.0.5", 60_000);
      for (let i = 0; i < 5_000; i++) eject(SERVICE, `10.1.${i >> 8}.${i & 255}`, 0);
      for (let i = 0; i < 3; i++) eject(`_t${i}._tcp.${ZONE}`, "10.0.0.5", 60_000);
      const observed = new Map(
        (await ejectedNow()).map((p) => [p.attributes["ecssd.service.name"], p.value as number]),
      );
      assert.equal(observed.size, 10_000);
      assert.equal([...observed.values()].filter((v) => v === 1).length, 9_999);
      assert.equal(observed.get(SERVICE), 0);
      for (const i of [0, 1, 2]) assert.equal(observed.has(`_s${i}._tcp.${ZONE}`), false);
      assert.equal(observed.get(`_s3._tcp.${ZONE}`), 1);
      assert.equal(observed.get(`_t2._tcp.${ZONE}`), 1);
      await provider.shutdown();
    });

    it("ignores malformed messages on its channels without throwing", async () => {
      bridge();
      const uncaught: unknown[] = [];
      const onUncaught = (err: unknown): void => {
        uncaught.push(err);
      };
      process.on("uncaughtException", onUncaught);
      try {
        for (const message of [null, 42, "x", {}, { name: 1 }, { service: "s", endpoint: null }]) {
          lookupChannel.publish(message);
          attemptChannel.publish(message);
          ejectedChannel.publish(message);
          returnedChannel.publish(message);
        }
        lookupChannel.publish({ name: "x", type: "A", durationMs: -1 });
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off("uncaughtException", onUncaught);
      }
      assert.deepEqual(uncaught, []);
      const collected = await collect();
      assert.equal(points(collected, "dns.lookup.duration"), undefined);
      assert.equal(points(collected, "ecssd.outlier.ejections"), undefined);
    });
  });

  describe("undici's instrumentation", () => {
    let spans: InMemorySpanExporter;
    let tracerProvider: TracerProvider;
    let instrumentation: UndiciInstrumentation;

    beforeEach(() => {
      spans = new InMemorySpanExporter();
      tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
      instrumentation = new UndiciInstrumentation({ startSpanHook: undiciStartSpanHook });
      instrumentation.setTracerProvider(tracerProvider);
      instrumentation.enable();
    });
    afterEach(async () => {
      instrumentation.disable();
      await tracerProvider.shutdown();
    });

    const clients: [string, typeof undiciFetch][] = [
      ["undici's fetch", undiciFetch],
      ["Node's global fetch", fetch as unknown as typeof undiciFetch],
    ];
    for (const [label, fetchWith] of clients) {
      it(`gives ${label}'s span the service's name as server.address`, async () => {
        const dispatcher = createDispatcher(resolver());
        try {
          const res = await fetchWith(`http://${SERVICE}/add?a=1`, { dispatcher });
          assert.equal(await res.text(), `hello ${SERVICE}`);
        } finally {
          await dispatcher.close();
        }
        // Node's own fetch may be traced too (its bundled undici publishes on the same channels): ours is the one
        // sent to the instance.
        const ours = spans.getFinishedSpans().filter((s) => s.attributes["network.peer.port"] === port);
        assert.equal(ours.length, 1);
        const { attributes } = ours[0]!;
        assert.equal(attributes["server.address"], SERVICE);
        assert.equal(attributes["server.port"], 80);
        assert.equal(attributes["url.full"], `http://${SERVICE}/add?a=1`);
        assert.equal(attributes["network.peer.address"], "127.0.0.1");
        assert.equal(attributes["http.response.status_code"], 200);
        assert.equal(attributes["http.request.resend_count"], undefined);
      });
    }

    it("shows a failover as a second span with http.request.resend_count 1, and counts the resend", async () => {
      bridge();
      const dead = await deadPort();
      // Priorities make the order certain: the dead instance first, then the live one.
      dns.addService(SERVICE, [
        { target: `h0.${ZONE}`, address: "127.0.0.1", port: dead, priority: 1 },
        { target: `h1.${ZONE}`, address: "127.0.0.1", port, priority: 2 },
      ]);
      const dispatcher = createDispatcher(resolver());
      try {
        const res = await undiciFetch(`http://${SERVICE}/`, { dispatcher });
        assert.equal(res.status, 200);
        await res.text();
      } finally {
        await dispatcher.close();
      }
      const [first, second, ...rest] = spans.getFinishedSpans();
      assert.deepEqual(rest, []);
      assert.equal(first?.attributes["server.address"], SERVICE);
      assert.equal(first?.attributes["error.type"], "ECONNREFUSED");
      assert.equal(first?.attributes["http.request.resend_count"], undefined);
      assert.equal(second?.attributes["server.address"], SERVICE);
      assert.equal(second?.attributes["http.request.resend_count"], 1);
      assert.equal(second?.attributes["http.response.status_code"], 200);
      assert.deepEqual(
        points(await collect(), "ecssd.request.resends")?.map((p) => [p.attributes, p.value]),
        [[{ "ecssd.service.name": SERVICE }, 1]],
      );
    });

    it("names the service on requests undici builds later, from its busy pool's queue", async () => {
      const REQUESTS = [1, 2, 3, 4, 5, 6];
      // Two connections per instance, six requests at once: the four beyond them wait in undici's pool, which builds
      // each one (and tells the instrumentation) only when a connection is free again, outside our dispatch.
      const dispatcher = createDispatcher(resolver(), { connectionsPerInstance: 2 });
      try {
        const bodies = await Promise.all(
          REQUESTS.map(async (n) => (await undiciFetch(`http://${SERVICE}/${n}`, { dispatcher })).text()),
        );
        assert.deepEqual(bodies, Array(REQUESTS.length).fill(`hello ${SERVICE}`));
      } finally {
        await dispatcher.close();
      }
      const finished = spans.getFinishedSpans();
      assert.deepEqual(
        finished.map((s) => s.attributes["url.full"]).sort(),
        REQUESTS.map((n) => `http://${SERVICE}/${n}`),
      );
      for (const span of finished) assert.equal(span.attributes["server.address"], SERVICE);
    });

    it("leaves requests to other hosts as the instrumentation sees them", async () => {
      const dispatcher = createDispatcher(resolver());
      try {
        const res = await undiciFetch(`http://127.0.0.1:${port}/`, { dispatcher });
        await res.text();
      } finally {
        await dispatcher.close();
      }
      const [span] = spans.getFinishedSpans();
      assert.equal(span?.attributes["server.address"], "127.0.0.1");
      assert.equal(span?.attributes["server.port"], port);
    });
  });

  describe("diagnostics channels", () => {
    it("tells subscribers of each network lookup and each attempt, a failover's with its resend count", async () => {
      const lookups: LookupMessage[] = [];
      const attempts: AttemptMessage[] = [];
      const onLookup = (m: unknown): void => void lookups.push(m as LookupMessage);
      const onAttempt = (m: unknown): void => void attempts.push(m as AttemptMessage);
      diagnostics.subscribe(CHANNEL_NAMES.lookup, onLookup);
      diagnostics.subscribe(CHANNEL_NAMES.attempt, onAttempt);
      const dead = await deadPort();
      dns.addService(SERVICE, [
        { target: `h0.${ZONE}`, address: "127.0.0.1", port: dead, priority: 1 },
        { target: `h1.${ZONE}`, address: "127.0.0.1", port, priority: 2 },
      ]);
      const r = resolver();
      const dispatcher = createDispatcher(r);
      try {
        await r.pick("calc"); // the lookup
        await r.pick("calc"); // from the cache: no message
        const res = await undiciFetch(`http://${SERVICE}/`, { dispatcher });
        await res.text();
      } finally {
        diagnostics.unsubscribe(CHANNEL_NAMES.lookup, onLookup);
        diagnostics.unsubscribe(CHANNEL_NAMES.attempt, onAttempt);
        await dispatcher.close();
      }
      assert.deepEqual(
        lookups.map(({ name, type, errorType }) => ({ name, type, errorType })),
        [{ name: SERVICE, type: "SRV", errorType: undefined }],
      );
      assert.ok(lookups[0]!.durationMs >= 0);
      assert.deepEqual(
        attempts.map((a) => [a.service, a.host, a.endpoint.port, a.resendCount]),
        [
          [SERVICE, SERVICE, dead, 0],
          [SERVICE, SERVICE, port, 1],
        ],
      );
    });
  });

  describe("without OpenTelemetry", () => {
    it("has no subscriber, records nothing and still works when the bridge is disabled", async () => {
      const channels = [lookupChannel, attemptChannel, ejectedChannel, returnedChannel];
      const before = channels.map((c) => c.hasSubscribers);
      const b = bridge();
      assert.equal(b.recording, true);
      assert.deepEqual(
        channels.map((c) => c.hasSubscribers),
        [true, true, true, true],
      );
      b.disable();
      assert.equal(b.recording, false);
      assert.deepEqual(
        channels.map((c) => c.hasSubscribers),
        before,
      );
      const dispatcher = createDispatcher(resolver());
      try {
        const res = await undiciFetch(`http://${SERVICE}/`, { dispatcher });
        assert.equal(res.status, 200);
        await res.text();
      } finally {
        await dispatcher.close();
      }
      const collected = await collect();
      assert.equal(points(collected, "dns.lookup.duration"), undefined);
    });

    it("listens to nothing while no SDK is registered (the global MeterProvider is the no-op one)", () => {
      const listened = attemptChannel.hasSubscribers;
      const b = enableOpenTelemetry();
      bridges.push(b);
      assert.equal(b.recording, false);
      assert.equal(attemptChannel.hasSubscribers, listened);
      // The SDK, started later, hands it its MeterProvider (as NodeSDK does for its `instrumentations`).
      b.setMeterProvider(meterProvider);
      assert.equal(b.recording, true);
      assert.equal(attemptChannel.hasSubscribers, true);
    });

    it("refuses a meterProvider that is not one", () => {
      assert.throws(
        () => enableOpenTelemetry({ meterProvider: {} as never }),
        /\[meterProvider\] must have a getMeter method, got object/,
      );
    });

    it("works in a process where @opentelemetry/api cannot be found, and says why it cannot enable it", async () => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ["--require", "tsx/cjs", path.join(__dirname, "fixtures", "withoutOpenTelemetry.ts")],
        {
          cwd: REPO,
          timeout: 30_000,
          env: {
            ...process.env,
            TSX_TSCONFIG_PATH: path.join(REPO, "tsconfig.json"),
            DNS_SERVER: dns.endpoint,
            URL: `http://${SERVICE}/`,
          },
        },
      );
      const out = JSON.parse(stdout) as { status: number; loaded: string[]; error: string };
      assert.equal(out.status, 200);
      assert.deepEqual(out.loaded, []);
      assert.match(out.error, /enableOpenTelemetry needs @opentelemetry\/api, an optional peer dependency/);
    });
  });
});
