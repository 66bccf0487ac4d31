import assert from "node:assert/strict";
import { GetHostedZoneCommand, type Route53Client } from "@aws-sdk/client-route-53";
import { type LocalZone, startLocalZone } from "../../../local/zone";
import { aSet, change, fqdn, rejection, route53For } from "./localZoneHarness";

async function admin(
  zone: LocalZone,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${zone.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${zone.adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

describe("local zone fault injection", () => {
  let zone: LocalZone | undefined;
  let client: Route53Client | undefined;
  afterEach(async () => {
    client?.destroy();
    await zone?.close();
    zone = undefined;
  });

  it("throttles beyond the configured rate with the SDK's Throttling error, then recovers", async () => {
    zone = await startLocalZone({ faults: { throttleRps: 1 } });
    client = route53For(zone);
    const z = zone;
    const c = client;
    // Six calls at once against a bucket of one: the first passes, the rest are throttled.
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        c.send(new GetHostedZoneCommand({ Id: z.hostedZoneId })).then(
          () => "ok",
          (err: Error & { $metadata?: { httpStatusCode?: number } }) =>
            `${err.name} ${err.$metadata?.httpStatusCode}`,
        ),
      ),
    );
    assert.ok(results.includes("ok"), `expected one call through among ${results}`);
    assert.ok(
      results.filter((r) => r === "Throttling 400").length >= 4,
      `expected Throttling among ${results}`,
    );
    await new Promise((r) => setTimeout(r, 1100));
    await client.send(new GetHostedZoneCommand({ Id: zone.hostedZoneId }));
    assert.equal(zone.stats().GetHostedZone, 7, "throttled calls are counted too");
  });

  it("fails writes with PriorRequestNotComplete and changes nothing", async () => {
    zone = await startLocalZone();
    client = route53For(zone);
    zone.setFaults({ priorRequestNotCompleteRate: 1 });
    const err = await rejection(
      change(client, zone, [{ Action: "CREATE", ResourceRecordSet: aSet(fqdn(zone, "x"), "10.0.0.1") }]),
    );
    assert.equal(err.name, "PriorRequestNotComplete");
    // Reads are not writes: they pass.
    await client.send(new GetHostedZoneCommand({ Id: zone.hostedZoneId }));
    zone.setFaults({});
    await change(client, zone, [{ Action: "CREATE", ResourceRecordSet: aSet(fqdn(zone, "x"), "10.0.0.1") }]);
  });

  it("answers 500 InternalError or 503 ServiceUnavailable at serverErrorRate 1", async () => {
    zone = await startLocalZone({ faults: { serverErrorRate: 1 } });
    client = route53For(zone);
    const seen = new Set<string>();
    for (let i = 0; i < 16 && seen.size < 2; i++) {
      const err = await rejection(client.send(new GetHostedZoneCommand({ Id: zone.hostedZoneId })));
      seen.add(`${err.name} ${err.$metadata?.httpStatusCode}`);
    }
    assert.deepEqual([...seen].sort(), ["InternalError 500", "ServiceUnavailable 503"]);
  });

  it("adds latency to every API answer", async () => {
    zone = await startLocalZone();
    client = route53For(zone);
    zone.setFaults({ latencyMs: 150 });
    const started = Date.now();
    await client.send(new GetHostedZoneCommand({ Id: zone.hostedZoneId }));
    assert.ok(Date.now() - started >= 140, `took ${Date.now() - started} ms`);
  });

  it("reads and replaces faults through the admin endpoint, and rejects bad settings naming the field", async () => {
    zone = await startLocalZone();
    client = route53For(zone);
    assert.deepEqual(await admin(zone, "GET", "/_admin/faults"), { status: 200, json: {} });
    const set = await admin(zone, "POST", "/_admin/faults", { throttleRps: 5, latencyMs: 1 });
    assert.deepEqual(set, { status: 200, json: { throttleRps: 5, latencyMs: 1 } });
    const bad = await admin(zone, "POST", "/_admin/faults", { serverErrorRate: 2 });
    assert.equal(bad.status, 400);
    assert.match(String((bad.json as { error: string }).error), /serverErrorRate/);
    const unknown = await admin(zone, "POST", "/_admin/faults", { throttle: 1 });
    assert.match(String((unknown.json as { error: string }).error), /unknown fault setting "throttle"/);
    const notJson = await admin(zone, "POST", "/_admin/faults", "{");
    assert.equal(notJson.status, 400);
    assert.deepEqual((await admin(zone, "GET", "/_admin/faults")).json, { throttleRps: 5, latencyMs: 1 });
    assert.deepEqual((await admin(zone, "POST", "/_admin/faults", {})).json, {});
    assert.throws(() => zone!.setFaults({ latencyMs: -1 }), /latencyMs/);
  });

  it("resets the call counts on DELETE /_admin/stats", async () => {
    zone = await startLocalZone();
    client = route53For(zone);
    await client.send(new GetHostedZoneCommand({ Id: zone.hostedZoneId }));
    assert.deepEqual((await admin(zone, "GET", "/_admin/stats")).json, { GetHostedZone: 1 });
    assert.deepEqual((await admin(zone, "DELETE", "/_admin/stats")).json, {});
    assert.deepEqual(zone.stats(), {});
  });

  it("refuses admin requests without the zone's token, and writes that are not JSON", async () => {
    zone = await startLocalZone({ faults: { latencyMs: 1 } });
    const url = `${zone.apiUrl}/_admin/faults`;
    // What a cross-site form post from a web page could send: no token, a form content type.
    const formPost = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "{}",
    });
    assert.equal(formPost.status, 401);
    assert.match(((await formPost.json()) as { error: string }).error, /Authorization: Bearer/);
    const wrongToken = await fetch(url, { headers: { authorization: `Bearer ${"x".repeat(32)}` } });
    assert.equal(wrongToken.status, 401);
    const tokenButForm = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${zone.adminToken}`, "content-type": "text/plain" },
      body: "{}",
    });
    assert.equal(tokenButForm.status, 415);
    assert.deepEqual((await admin(zone, "GET", "/_admin/faults")).json, { latencyMs: 1 }, "nothing changed");
    const other = await startLocalZone();
    try {
      assert.notEqual(other.adminToken, zone.adminToken, "each start makes its own token");
    } finally {
      await other.close();
    }
  });
});
