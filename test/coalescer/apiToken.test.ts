// Only callers with the coalescer's token may use it: over real HTTP on loopback, with the real core over the
// local zone, every route refuses a request without the token or with another one (401, before its body is
// read) and the zone stays as it was; the agent's client with the token reads and writes as before.
import { strict as assert } from "node:assert";
import { CoalescerTokenRefusedError, CoalescerZone } from "../../agent/coalescerZone";
import { ZoneBusyError } from "../../agent/zoneWriter";
import { COALESCER_TOKEN, carriesToken } from "../../coalescer/apiToken";
import { coalescerConfigFromEnv } from "../../coalescer/config";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { zoneRecords } from "../kit/agentFixtures";
import { route53For } from "../kit/awsClients";
import { type CoalescerServer, startCoalescerServer } from "./support/coalescerServer";
import { agentA, srvRecord } from "./support/records";

const TOKEN = "k".repeat(24) + "0123456789ABCDEFGHIJKLMNOPQRSTUV";
const OTHER = `${TOKEN.slice(0, -1)}W`;

describe("coalescer token (ECSSD_COALESCER_TOKEN)", () => {
  describe("the setting and the check", () => {
    it("takes 32 to 512 visible ASCII characters, and never quotes a bad value", () => {
      assert.equal(coalescerConfigFromEnv({ ECSSD_COALESCER_TOKEN: TOKEN }).token, TOKEN);
      assert.equal(coalescerConfigFromEnv({}).token, undefined);
      for (const [bad, problem] of [
        ["s3cret-but-short", /must be 32 to 512 characters long, not 16/],
        ["x".repeat(513), /not 513/],
        [`${"x".repeat(20)} ${"y".repeat(20)}`, /visible ASCII only/],
        [`${"x".repeat(40)}é`, /visible ASCII only/],
      ] as const)
        assert.throws(
          () => coalescerConfigFromEnv({ ECSSD_COALESCER_TOKEN: bad }),
          (err: Error) => {
            assert.match(err.message, /\[ECSSD_COALESCER_TOKEN\]/);
            assert.match(err.message, problem);
            assert.ok(!err.message.includes(bad.trim()), "the value is not in the message");
            return true;
          },
        );
    });

    it("its help says what unset means and shows no value", () => {
      assert.equal(COALESCER_TOKEN.default, undefined);
      assert.match(COALESCER_TOKEN.unset ?? "", /anyone who reaches/);
    });

    it("accepts exactly `Bearer <token>`, the scheme in any case", () => {
      const cases: [header: string | undefined, ok: boolean][] = [
        [`Bearer ${TOKEN}`, true],
        [`bearer ${TOKEN}`, true],
        [`BEARER  ${TOKEN}`, true],
        [undefined, false],
        ["", false],
        [TOKEN, false],
        [`Basic ${TOKEN}`, false],
        [`Bearer ${OTHER}`, false],
        [`Bearer ${TOKEN.slice(0, -1)}`, false],
        [`Bearer ${TOKEN}x`, false],
        [`Bearer ${TOKEN} ${TOKEN}`, false],
        ["Bearer ", false],
      ];
      for (const [header, ok] of cases) assert.equal(carriesToken(header, TOKEN), ok, String(header));
    });
  });

  describe("over HTTP, with the real core and the local zone", function () {
    this.timeout(30_000);
    let zone: LocalZone;
    let server: CoalescerServer;

    before(async () => {
      zone = await startLocalZone();
      server = await startCoalescerServer(zone, { token: TOKEN });
    });
    after(async () => {
      await server.close();
      await zone.close();
    });
    const inZone = () => zoneRecords(zone, route53For(zone));
    const hostA = () => agentA("host-a", zone.zoneName);
    const submit = () =>
      JSON.stringify({ changes: [{ action: "CREATE", recordSet: agentA("host-a", zone.zoneName) }] });

    /** Every route, as a caller would ask it. */
    const routes = () =>
      [
        ["GET", "/v1/status", undefined],
        ["GET", "/v1/hosts/host-a/record-sets", undefined],
        ["POST", "/v1/record-sets/read", JSON.stringify({ names: [`host-a.${zone.zoneName}`] })],
        ["POST", "/v1/hosts/host-a/changes", submit()],
        ["GET", "/v1/no-such-route", undefined],
      ] as const;

    for (const [what, authorization] of [
      ["without a token", undefined],
      ["with another token", `Bearer ${OTHER}`],
      ["with the token under another scheme", `Basic ${TOKEN}`],
    ] as const) {
      it(`refuses every route ${what} with 401, and the zone stays as it was`, async () => {
        const before = server.api.unauthorized();
        for (const [method, path, body] of routes()) {
          const res = await fetch(`${server.api.url}${path}`, {
            method,
            headers: {
              ...(authorization !== undefined && { Authorization: authorization }),
              ...(body !== undefined && { "Content-Type": "application/json" }),
            },
            ...(body !== undefined && { body }),
          });
          assert.equal(res.status, 401, `${method} ${path}`);
          assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="ecssd-coalescer"');
          const answer = (await res.json()) as { error: string; message: string };
          assert.equal(answer.error, "Unauthorized");
          assert.ok(!answer.message.includes(TOKEN));
        }
        assert.equal(server.api.unauthorized() - before, routes().length);
        assert.deepEqual(await inZone(), []);
      });
    }

    it("refuses a caller without the token before reading its body (401, not 413)", async () => {
      const res = await fetch(`${server.api.url}/v1/hosts/host-a/changes`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: "x".repeat(4 * 1024 * 1024),
      });
      assert.equal(res.status, 401);
      assert.deepEqual(await inZone(), []);
    });

    it("the agent's client without the token, or with another, gets CoalescerTokenRefusedError, a ZoneBusyError", async () => {
      for (const client of [
        new CoalescerZone(server.api.url, "host-a"),
        new CoalescerZone(server.api.url, "host-a", { token: OTHER }),
      ]) {
        const err = await client
          .change([{ action: "CREATE", recordSet: hostA() }])
          .then(() => assert.fail("the change was taken"))
          .catch((e: unknown) => e);
        assert.ok(err instanceof CoalescerTokenRefusedError, String(err));
        assert.ok(err instanceof ZoneBusyError, "the loop keeps the changes and retries them");
        assert.match(err.message, /refuses our token/);
        assert.ok(!err.message.includes(TOKEN) && !err.message.includes(OTHER));
        await assert.rejects(client.status(), CoalescerTokenRefusedError);
        await assert.rejects(client.listHostRecordSets("host-a"), CoalescerTokenRefusedError);
        await assert.rejects(client.readNames([`host-a.${zone.zoneName}`]), CoalescerTokenRefusedError);
      }
      assert.deepEqual(await inZone(), []);
    });

    it("the agent's client with the token reads and writes as before", async () => {
      const client = new CoalescerZone(server.api.url, "host-a", { token: TOKEN });
      const sets = [
        hostA(),
        srvRecord({ hostId: "host-a", container: 1, hostPort: 30001, zone: zone.zoneName }),
      ];
      assert.deepEqual(await client.status(), { zoneId: zone.hostedZoneId, zoneName: zone.zoneName });
      await client.change(sets.map((recordSet) => ({ action: "CREATE", recordSet })));
      assert.equal((await client.listHostRecordSets("host-a")).length, 2);
      assert.equal((await client.readNames([`host-a.${zone.zoneName}`])).length, 1);
      await client.change(sets.map((recordSet) => ({ action: "DELETE", recordSet })));
      assert.deepEqual(await inZone(), []);
    });
  });
});
