// The portal as a real process against real time and calc processes, found through a real DNS
// server (the local zone), with records written through the AWS SDK's Route53 client.
import { strict as assert } from "node:assert";
import {
  CREDS,
  closedPort,
  type DiscoverySetup,
  srvChange,
  startDiscoverySetup,
  ZONE,
} from "./discoveryFixture";
import { runToExit, type ServiceProcess, startServiceProcess } from "./serviceProcess";

/** What the portal answers: the upstream's answer and where it came from, or an error of its own. */
interface PortalBody {
  answer: { result?: number; time?: string; container?: string; host?: string; error?: string };
  upstream?: { address: string; port: number; target: string };
  attempts?: number;
  kind?: string;
  error: string;
}

async function portalGet(
  portal: ServiceProcess,
  path: string,
): Promise<{ status: number; body: PortalBody }> {
  const res = await fetch(portal.url + path, { signal: AbortSignal.timeout(15_000) });
  return { status: res.status, body: (await res.json()) as PortalBody };
}

describe("examples/portal through service discovery", function () {
  this.timeout(60_000);
  let setup: DiscoverySetup;
  let portal: ServiceProcess;
  let calc: ServiceProcess;

  before(async () => {
    setup = await startDiscoverySetup();
    ({ portal, calc } = setup);
  });

  after(async () => {
    await setup?.close();
  });

  it("serves the page with a time box and a formula box, and its script", async () => {
    const page = await fetch(`${portal.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    const html = await page.text();
    assert.match(html, /id="time-input"/);
    assert.match(html, /id="calc-input"/);
    const script = await fetch(`${portal.url}/app.js`);
    assert.equal(script.status, 200);
    const js = await script.text();
    assert.match(js, /textContent/);
    assert.doesNotMatch(js, /innerHTML/);
  });

  it("fails over from a dead calc instance to a live one, and says which container answered", async () => {
    const r = await portalGet(portal, `/calc/${encodeURIComponent("(1+2)*3^2")}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.answer.result, 27);
    assert.equal(r.body.answer.container, "calc-1");
    assert.equal(r.body.answer.host, "host-a");
    assert.equal(r.body.attempts, 2, "the dead instance (priority 0) is tried first");
    assert.deepEqual(r.body.upstream, { address: "127.0.0.1", port: calc.port, target: `host-a.${ZONE}` });
  });

  it("spreads time requests over both instances", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 30 && seen.size < 2; i++) {
      const r = await portalGet(portal, "/time/2006-01-02%20MST?tz=Europe/Berlin");
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.match(r.body.answer.time ?? "", /^\d{4}-\d{2}-\d{2} CES?T$/);
      seen.add(r.body.answer.container ?? "");
    }
    assert.deepEqual([...seen].sort(), ["time-1", "time-2"]);
  });

  it("passes a bad formula's 400 and message through from calc", async () => {
    const r = await portalGet(portal, `/calc/${encodeURIComponent("1/0")}`);
    assert.equal(r.status, 400);
    assert.equal(r.body.answer.error, "division by zero at column 2");
    assert.equal(r.body.answer.container, "calc-1");
  });

  it("answers 502 with a clear message when every calc instance is down, and keeps running", async () => {
    await calc.kill();
    const r = await portalGet(portal, "/calc/1%2B1");
    assert.equal(r.status, 502);
    assert.equal(r.body.kind, "unreachable");
    assert.match(r.body.error, /^service "calc" is failing: could not connect to 2 instance\(s\)/);
    assert.equal((await portalGet(portal, "/health")).status, 200);
  });

  it("answers 503 saying the service is not registered once its records are gone", async () => {
    await setup.change([
      srvChange("DELETE", "calc", { id: "calc-dead", port: setup.deadCalcPort, priority: 0 }),
      srvChange("DELETE", "calc", { id: "calc-1", port: calc.port }),
    ]);
    let r = await portalGet(portal, "/calc/1%2B1");
    // The SRV TTL is 1 s: the cached answer may be used until then.
    for (let i = 0; i < 30 && r.status !== 503; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      r = await portalGet(portal, "/calc/1%2B1");
    }
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.equal(r.body.kind, "missing");
    assert.match(
      r.body.error,
      /^service "calc" is not registered: no instance of _calc\._tcp\.servicediscovery\.internal in DNS \(NXDOMAIN\)/,
    );
    // time still works: one missing service does not take the portal down.
    assert.equal((await portalGet(portal, "/time/15:04")).status, 200);
    assert.equal(portal.child.exitCode, null);
  });

  it("shows no internal address, instance id or container of the upstream unless PORTAL_SHOW_UPSTREAM asks", async () => {
    const hiding = await startServiceProcess("portal", {
      ...CREDS,
      CONTAINER_ID: "portal-2",
      DNS_SERVERS: `127.0.0.1:${setup.zone.dns.port}`,
      TIME_SERVICE: `_time._tcp.${ZONE}`,
      CALC_SERVICE: `_calc._tcp.${ZONE}`,
    });
    try {
      // time: calc's records are gone by now (the test above).
      const r = await portalGet(hiding, "/time/15:04");
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.match(r.body.answer.time ?? "", /^\d\d:\d\d$/);
      assert.equal(r.body.upstream, undefined);
      assert.equal(r.body.attempts, undefined);
      assert.equal(r.body.answer.container, undefined);
      assert.equal(r.body.answer.host, undefined);
      const text = JSON.stringify(r.body);
      assert.doesNotMatch(text, /127\.0\.0\.1|host-a|time-[12]/);
    } finally {
      await hiding.kill();
    }
  });

  it("keeps answering from the last known instances while the DNS server is down", async () => {
    await setup.zone.close();
    await new Promise((resolve) => setTimeout(resolve, 1200)); // past the 1 s TTL
    const r = await portalGet(portal, "/time/15:04?tz=Asia/Tokyo");
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(r.body.answer.container ?? "", /^time-[12]$/);
  });
});

describe("examples/portal without a reachable DNS server", function () {
  this.timeout(30_000);
  let portal: ServiceProcess | undefined;
  after(async () => {
    await portal?.kill();
  });

  it("answers 503 saying the lookup failed, and keeps running", async () => {
    const silent = await closedPort();
    portal = await startServiceProcess("portal", { ...CREDS, DNS_SERVERS: `127.0.0.1:${silent}` });
    const r = await portalGet(portal, "/calc/1%2B1");
    assert.equal(r.status, 503);
    assert.equal(r.body.kind, "discovery");
    assert.match(r.body.error, /^cannot look up service "calc": the DNS servers did not answer/);
    assert.equal((await portalGet(portal, "/health")).status, 200);
  });

  it("refuses to start with a malformed DNS_SERVERS", async () => {
    const r = await runToExit("portal", { ...CREDS, DNS_SERVERS: "not-an-address" });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[DNS_SERVERS\] .*invalid nameserver/);
  });

  it("refuses to start with a PORTAL_SHOW_UPSTREAM that is not true or false", async () => {
    const r = await runToExit("portal", { ...CREDS, PORTAL_SHOW_UPSTREAM: "yes" });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[PORTAL_SHOW_UPSTREAM\] must be true or false, got "yes"/);
  });
});
