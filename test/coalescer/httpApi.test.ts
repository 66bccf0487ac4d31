// The coalescer's HTTP API and the agent's client of it, over real HTTP on loopback and the local zone: what
// a host may read and change, and what every kind of bad request gets, with the server still serving after.
import { strict as assert } from "node:assert";
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import pino from "pino";
import { CoalescerZone } from "../../agent/coalescerZone";
import { InvalidChangeBatchError, ZoneBusyError } from "../../agent/zoneWriter";
import { COALESCER_API_LIMITS } from "../../coalescer/apiContract";
import { type CoalescerApi, startCoalescerApi } from "../../coalescer/httpApi";
import type { ZoneChanges } from "../../coalescer/zoneChanges";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { zoneRecords } from "../kit/agentFixtures";
import { route53For } from "../kit/awsClients";
import { type CoalescerServer, startCoalescerServer } from "./support/coalescerServer";
import { agentA, agentAz, srvRecord, taskSrv } from "./support/records";

const quiet = pino({ level: "silent" });

async function post(
  api: CoalescerApi,
  path: string,
  body: string,
): Promise<{ status: number; body: { error: string; message: string } }> {
  const res = await fetch(`${api.url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
}

describe("coalescer HTTP API", function () {
  this.timeout(30_000);
  let zone: LocalZone;
  let server: CoalescerServer;
  let api: CoalescerApi;

  before(async () => {
    zone = await startLocalZone();
    server = await startCoalescerServer(zone);
    api = server.api;
  });
  after(async () => {
    await server.close();
    await zone.close();
  });
  const inZone = () => zoneRecords(zone, route53For(zone));

  it("lets an agent create, read back and delete its own sets through the client", async () => {
    const client = new CoalescerZone(api.url, "host-a");
    const sets = [
      agentA("host-a", zone.zoneName),
      agentAz("host-a", zone.zoneName),
      srvRecord({ hostId: "host-a", container: 1, hostPort: 30001, zone: zone.zoneName }),
    ];
    await client.change(sets.map((recordSet) => ({ action: "CREATE", recordSet })));
    assert.equal((await inZone()).length, 3);
    const mine = await client.listHostRecordSets("host-a");
    assert.deepEqual(mine.map((rs) => rs.SetIdentifier).sort(), sets.map((rs) => rs.SetIdentifier).sort());
    const byName = await client.readNames([`_calc._tcp.${zone.zoneName}`]);
    assert.deepEqual(
      byName.map((rs) => rs.ResourceRecords[0]?.Value),
      [`1 1 30001 host-a.${zone.zoneName}`],
    );
    assert.deepEqual(await client.listHostRecordSets("host-b"), []);
    await client.change(sets.map((recordSet) => ({ action: "DELETE", recordSet })));
    assert.deepEqual(await client.listHostRecordSets("host-a"), []);
    assert.deepEqual(await inZone(), []);
  });

  it("answers the zone's id and name at /v1/status", async () => {
    const status = await new CoalescerZone(api.url, "host-a").status();
    assert.deepEqual(status, { zoneId: zone.hostedZoneId, zoneName: zone.zoneName });
  });

  it("passes a batch refused as it stands back as InvalidChangeBatchError (409)", async () => {
    const client = new CoalescerZone(api.url, "host-c");
    const made = srvRecord({ hostId: "host-c", container: 2, hostPort: 30002, zone: zone.zoneName });
    await client.change([{ action: "CREATE", recordSet: made }]);
    const other = { ...made, ResourceRecords: [{ Value: `1 1 30009 host-c.${zone.zoneName}` }] };
    await assert.rejects(client.change([{ action: "CREATE", recordSet: other }]), InvalidChangeBatchError);
    await assert.rejects(client.change([{ action: "DELETE", recordSet: other }]), InvalidChangeBatchError);
    assert.deepEqual(
      (await inZone()).filter((r) => r.includes("host-c")),
      [`_calc._tcp.${zone.zoneName}|SRV|${made.SetIdentifier}|1 1 30002 host-c.${zone.zoneName}`],
    );
    await client.change([{ action: "DELETE", recordSet: made }]);
  });

  it("refuses with 403 a change of another host's set, a task's, or one pointing elsewhere", async () => {
    const other = srvRecord({ hostId: "host-b", container: 3, hostPort: 30003, zone: zone.zoneName });
    const cases: [string, object, RegExp][] = [
      ["another host's set", other, /host "host-b"'s, not host "host-a"'s to change/],
      ["a task's set", taskSrv(zone.zoneName), /the registrar's, for task/],
      [
        "its own SetIdentifier on another host's name",
        { ...agentA("host-a", zone.zoneName), Name: `host-b.${zone.zoneName}` },
        /address record is named host-a\./,
      ],
      [
        "its AZ set on another host's name",
        { ...agentAz("host-a", zone.zoneName), Name: `host-b.${zone.zoneName}` },
        /AZ set is named host-a\./,
      ],
      [
        "an instance pointing at another host",
        {
          ...srvRecord({ hostId: "host-a", container: 4, hostPort: 30004, zone: zone.zoneName }),
          ResourceRecords: [{ Value: `1 1 30004 host-b.${zone.zoneName}` }],
        },
        /point at host-a\..*not host-b\./,
      ],
      [
        "another deployment's set",
        srvRecord({
          hostId: "host-a",
          container: 5,
          hostPort: 30005,
          zone: zone.zoneName,
          deployment: "blue",
        }),
        /of deployment "blue"/,
      ],
    ];
    for (const [what, recordSet, message] of cases) {
      const res = await post(
        api,
        "/v1/hosts/host-a/changes",
        JSON.stringify({ changes: [{ action: "CREATE", recordSet }] }),
      );
      assert.equal(res.status, 403, what);
      assert.equal(res.body.error, "Forbidden", what);
      assert.match(res.body.message, message, what);
    }
    assert.deepEqual(await new CoalescerZone(api.url, "host-b").listHostRecordSets("host-b"), []);
    // The client names the status and the refusal, as a refused batch: its loop isolates the change and skips it.
    await assert.rejects(
      new CoalescerZone(api.url, "host-a").change([{ action: "CREATE", recordSet: other }]),
      (err) => err instanceof InvalidChangeBatchError && /answered 403: .*host-b/.test(err.message),
    );
  });

  it("names precisely what is wrong with a bad request (400), and keeps serving", async () => {
    const good = srvRecord({ hostId: "host-a", container: 6, hostPort: 30006, zone: zone.zoneName });
    const change = (recordSet: object, action = "CREATE") =>
      JSON.stringify({ changes: [{ action, recordSet }] });
    const cases: [string, string, string, RegExp][] = [
      ["not JSON", "/v1/hosts/host-a/changes", "{", /not JSON/],
      ["no changes", "/v1/hosts/host-a/changes", "{}", /"changes"/],
      ["empty changes", "/v1/hosts/host-a/changes", '{"changes":[]}', /at least one/],
      [
        "a bad action",
        "/v1/hosts/host-a/changes",
        change(good, "REPLACE"),
        /changes\[0\]\.action must be one of/,
      ],
      [
        "a string for a set",
        "/v1/hosts/host-a/changes",
        change("x" as unknown as object),
        /changes\[0\]\.recordSet must be/,
      ],
      [
        "a TTL out of range",
        "/v1/hosts/host-a/changes",
        change({ ...good, TTL: -1 }),
        /changes\[0\]\.recordSet\.TTL/,
      ],
      [
        "an alias",
        "/v1/hosts/host-a/changes",
        change({ ...good, AliasTarget: {} }),
        /"AliasTarget" not allowed/,
      ],
      [
        "a CNAME",
        "/v1/hosts/host-a/changes",
        change({ ...good, Type: "CNAME" }),
        /Type must be SRV, A or TXT/,
      ],
      [
        "a name outside the zone",
        "/v1/hosts/host-a/changes",
        change({ ...good, Name: "_calc._tcp.example.com" }),
        /not in the zone/,
      ],
      [
        "no values",
        "/v1/hosts/host-a/changes",
        change({ ...good, ResourceRecords: [] }),
        /ResourceRecords must be a non-empty/,
      ],
      [
        "a value that is not SRV",
        "/v1/hosts/host-a/changes",
        change({ ...good, ResourceRecords: [{ Value: "nope" }] }),
        /is not an SRV value/,
      ],
      [
        "a host's TXT set that is not an AZ set",
        "/v1/hosts/host-a/changes",
        change({ ...agentAz("host-a", zone.zoneName), ResourceRecords: [{ Value: '"az-id=us-east-1a"' }] }),
        /a host's TXT set holds one value "az-id=<AZ ID>"/,
      ],
      [
        "a bad deployment",
        "/v1/hosts/host-a/changes",
        JSON.stringify({ deployment: "NO WAY", changes: [] }),
        /deployment/,
      ],
      ["a bad host id", "/v1/hosts/Host_A/changes", change(good), /host id "Host_A"/],
      ["names that are not a list", "/v1/record-sets/read", '{"names":"a"}', /"names"/],
      ["a name that is no DNS name", "/v1/record-sets/read", '{"names":["a..b"]}', /names\[0\]/],
      [
        "too many names",
        "/v1/record-sets/read",
        JSON.stringify({
          names: Array.from({ length: COALESCER_API_LIMITS.namesPerRead + 1 }, (_, i) => `n${i}.x`),
        }),
        /at most 500 per read/,
      ],
    ];
    for (const [what, path, body, message] of cases) {
      const res = await post(api, path, body);
      assert.equal(res.status, 400, what);
      assert.equal(res.body.error, "BadRequest", what);
      assert.match(res.body.message, message, what);
    }
    const big = await post(
      api,
      "/v1/record-sets/read",
      JSON.stringify({ names: ["x".repeat(COALESCER_API_LIMITS.bodyBytes)] }),
    );
    assert.equal(big.status, 413);
    assert.equal((await fetch(`${api.url}/v1/nowhere`)).status, 404);
    assert.equal((await fetch(`${api.url}/v1/status`, { method: "DELETE" })).status, 405);
    assert.equal((await fetch(`${api.url}/v1/hosts/host-a/record-sets?deployment=NO`)).status, 400);
    // Garbage that is not HTTP at all.
    await new Promise<void>((resolve) => {
      const socket = net.connect(api.port, "127.0.0.1", () => socket.end("\x00\x01 NOT HTTP\r\n\r\n"));
      socket.on("error", () => resolve());
      socket.on("close", () => resolve());
      socket.resume();
    });
    assert.equal((await fetch(`${api.url}/v1/status`)).status, 200);
    // None of it reached the zone.
    assert.deepEqual(await new CoalescerZone(api.url, "host-a").listHostRecordSets("host-a"), []);
  });
});

describe("coalescer HTTP API: the agent's own rules for a token holder (issue 25)", function () {
  this.timeout(30_000);
  let zone: LocalZone;
  let server: CoalescerServer;

  before(async () => {
    zone = await startLocalZone();
    server = await startCoalescerServer(zone, { maxPortsPerContainer: 2 });
  });
  after(async () => {
    await server.close();
    await zone.close();
  });
  const submit = (changes: object[]) =>
    post(server.api, "/v1/hosts/host-a/changes", JSON.stringify({ changes }));
  const create = (recordSet: object) => ({ action: "CREATE", recordSet });
  const instance = (container: number, hostPort: number) =>
    srvRecord({ hostId: "host-a", container, hostPort, zone: zone.zoneName });

  it("refuses a service under a host's or a task's label with 403 reserved-service-name, writing nothing", async () => {
    for (const label of ["i-0abc1234def567890", "0123456789abcdef0123456789abcdef"]) {
      const res = await submit([create({ ...instance(1, 30001), Name: `_${label}._tcp.${zone.zoneName}` })]);
      assert.equal(res.status, 403, label);
      assert.equal(res.body.error, "Forbidden");
      assert.match(res.body.message, /reserved-service-name/);
    }
    assert.deepEqual(await zoneRecords(zone, route53For(zone)), []);
  });

  it("refuses a submit that takes one container over ECSSD_MAX_PORTS_PER_CONTAINER, in one submit or over several", async () => {
    const client = new CoalescerZone(server.api.url, "host-a");
    // Route53 keeps a name's sets apart by SetIdentifier, whose port part is the container port: the sets of one
    // container differ by name here, as a token holder's would.
    const named = (i: number) => ({ ...instance(7, 30007), Name: `_port${i}._tcp.${zone.zoneName}` });
    await client.change([named(1), named(2)].map((recordSet) => ({ action: "CREATE", recordSet })));
    const third = await submit([create(named(3))]);
    assert.equal(third.status, 403);
    assert.match(third.body.message, /would have 3 SRV sets, more than the 2 ports a container may publish/);
    const many = await submit(
      [1, 2, 3].map((i) => create({ ...instance(8, 30008), Name: `_m${i}._tcp.${zone.zoneName}` })),
    );
    assert.equal(many.status, 403);
    assert.equal((await zoneRecords(zone, route53For(zone))).length, 2, "only the two within the cap");
    // Its other containers, and taking the capped one down, are unaffected.
    await client.change([{ action: "CREATE", recordSet: instance(9, 30009) }]);
    await client.change([named(1), named(2)].map((recordSet) => ({ action: "DELETE", recordSet })));
    assert.equal((await zoneRecords(zone, route53For(zone))).length, 1);
  });
});

describe("coalescer HTTP API stopping", function () {
  this.timeout(30_000);

  it("lets a submit under way finish, and sends newcomers away as busy", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let submitted = 0;
    const held: ZoneChanges = {
      hostRecordSets: async () => [],
      readNames: async () => [],
      submit: async () => {
        submitted++;
        await gate;
      },
    };
    const api = await startCoalescerApi({
      zone: held,
      zoneName: "servicediscovery.internal",
      status: () => ({ zoneId: "Z1", zoneName: "servicediscovery.internal" }),
      log: quiet,
    });
    const client = new CoalescerZone(api.url, "host-a");
    const underWay = client.change([
      { action: "CREATE", recordSet: agentA("host-a", "servicediscovery.internal") },
    ]);
    while (submitted === 0) await new Promise((r) => setTimeout(r, 10));
    const closing = api.close(20_000);
    await assert.rejects(client.listHostRecordSets("host-a"), ZoneBusyError);
    release();
    await underWay;
    await closing;
  });
});

describe("coalescer client", function () {
  this.timeout(30_000);

  it("counts an unreachable coalescer, and one that does not answer in time, as busy", async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });
    await assert.rejects(
      new CoalescerZone(`http://127.0.0.1:${closed}`, "host-a").readNames(["a.b"]),
      ZoneBusyError,
    );

    const silent = http.createServer(() => {}); // never answers
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const client = new CoalescerZone(url, "host-a", { timeouts: { changesMs: 200, readsMs: 200 } });
    try {
      await assert.rejects(client.listHostRecordSets("host-a"), ZoneBusyError);
      await assert.rejects(
        client.change([{ action: "DELETE", recordSet: agentA("host-a", "servicediscovery.internal") }]),
        (err: Error) => err instanceof ZoneBusyError && !err.throttled,
      );
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it("counts each call under its route's name", async () => {
    const calls: string[] = [];
    const api = await startCoalescerApi({
      zone: { hostRecordSets: async () => [], readNames: async () => [], submit: async () => {} },
      zoneName: "servicediscovery.internal",
      status: () => ({ zoneId: "Z1", zoneName: "servicediscovery.internal" }),
      log: quiet,
    });
    try {
      const client = new CoalescerZone(api.url, "host-a", { onApiCall: (route) => calls.push(route) });
      await client.status();
      await client.listHostRecordSets("host-a");
      await client.readNames(
        Array.from({ length: COALESCER_API_LIMITS.namesPerRead + 1 }, (_, i) => `n${i}.x`),
      );
      await client.change([{ action: "CREATE", recordSet: agentA("host-a", "servicediscovery.internal") }]);
      assert.deepEqual(calls, [
        "GET /v1/status",
        "GET /v1/hosts/{hostId}/record-sets",
        "POST /v1/record-sets/read",
        "POST /v1/record-sets/read",
        "POST /v1/hosts/{hostId}/changes",
      ]);
    } finally {
      await api.close();
    }
  });
});
