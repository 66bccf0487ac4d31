// The time and calc services over HTTP on loopback, as real processes: auth, health, JSON fields,
// error messages, start-up refusal, and the graceful stop (serving through the drain, then exit 0).
import { strict as assert } from "node:assert";
import { request as httpRequest } from "node:http";
import { basicAuthHeader } from "../../examples/shared/basicAuth";
import { runToExit, type ServiceProcess, startServiceProcess } from "./serviceProcess";

const CREDS = { AUTH_USERNAME: "admin", AUTH_PASSWORD: "s3cret-pässword" };
const AUTH = basicAuthHeader(CREDS.AUTH_USERNAME, CREDS.AUTH_PASSWORD);

async function get(
  base: string,
  path: string,
  headers: Record<string, string> = { authorization: AUTH },
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(base + path, { headers, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, headers: res.headers };
}

describe("examples/time and examples/calc over HTTP", function () {
  this.timeout(60_000);
  let time: ServiceProcess;
  let calc: ServiceProcess;

  before(async () => {
    [time, calc] = await Promise.all([
      startServiceProcess("time", { ...CREDS, CONTAINER_ID: "time-container-1", HOST_ID: "host-a" }),
      startServiceProcess("calc", { ...CREDS, CONTAINER_ID: "calc-container-1", HOST_ID: "host-a" }),
    ]);
  });
  after(async () => {
    await Promise.all([time?.kill(), calc?.kill()]);
  });

  it("answers /health without credentials", async () => {
    for (const svc of [time, calc]) {
      const r = await get(svc.url, "/health", {});
      assert.equal(r.status, 200);
      assert.equal(r.body.status, "ok");
    }
  });

  it("answers 401 with a Basic challenge without credentials or with wrong ones", async () => {
    const wrong: Record<string, string>[] = [
      {},
      { authorization: basicAuthHeader("admin", "wrong") },
      { authorization: basicAuthHeader("nobody", CREDS.AUTH_PASSWORD) },
      { authorization: "Basic !!!" },
      { authorization: "Bearer abc" },
    ];
    for (const headers of wrong) {
      const r = await get(calc.url, "/calc/1+1", headers);
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.match(r.headers.get("www-authenticate") ?? "", /^Basic realm="calc"/);
      assert.equal(r.body.result, undefined);
    }
    assert.equal((await get(time.url, "/time/15:04", {})).status, 401);
  });

  it("never logs the credentials", () => {
    const logs = time.stdout.join("\n") + calc.stdout.join("\n");
    assert.ok(logs.includes('"status":401'), "requests are logged");
    assert.ok(!logs.includes(CREDS.AUTH_PASSWORD));
    assert.ok(!logs.includes(AUTH.slice(6)));
  });

  it("calc answers the value with the container and host that answered", async () => {
    const r = await get(calc.url, `/calc/${encodeURIComponent("-2^2 + (1.5*4)/3")}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, {
      formula: "-2^2 + (1.5*4)/3",
      result: -2,
      container: "calc-container-1",
      host: "host-a",
    });
    assert.match(r.headers.get("content-type") ?? "", /^application\/json/);
  });

  it("calc answers 400 saying what is wrong and where", async () => {
    const cases: [string, number, string][] = [
      ["1/0", 400, "division by zero at column 2"],
      ["(1+2", 400, "unclosed '(' from column 1: expected ')' at column 5"],
      ["2*x", 400, 'unexpected character "x" at column 3'],
      ["10^999", 400, "result too large (overflow) at column 3"],
    ];
    for (const [formula, status, error] of cases) {
      const r = await get(calc.url, `/calc/${encodeURIComponent(formula)}`);
      assert.equal(r.status, status, formula);
      assert.equal(r.body.error, error);
      assert.equal(typeof r.body.column, "number");
      assert.equal(r.body.container, "calc-container-1");
    }
    const bad = await get(calc.url, "/calc/%E0%A4%A");
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, "malformed percent-encoding in the path");
  });

  it("calc never answers 500 to random formulas (bounded)", async () => {
    const chars = "0123456789.+-*/^() x%";
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 200; i++) {
      let f = "";
      for (let n = rand() % 40; n > 0; n--) f += chars[rand() % chars.length];
      const r = await get(calc.url, `/calc/${encodeURIComponent(f)}`);
      assert.ok(r.status === 200 || r.status === 400, `${JSON.stringify(f)} → ${r.status}`);
    }
  });

  it("time never answers 500 to random layouts and zones (bounded)", async () => {
    const pieces = [
      "2006",
      "Jan",
      "MST",
      "Z07:00",
      ".000",
      ",999",
      "_2",
      "__2",
      "pm",
      "%",
      "/",
      "..",
      "é",
      " ",
      "?",
      "#",
    ];
    let seed = 99;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 150; i++) {
      let layout = "";
      for (let n = 1 + (rand() % 12); n > 0; n--) layout += pieces[rand() % pieces.length];
      const tz = ["UTC", "Europe/Paris", "Nowhere/Land", "%00", "a".repeat(100)][rand() % 5]!;
      const r = await get(time.url, `/time/${encodeURIComponent(layout)}?tz=${encodeURIComponent(tz)}`);
      assert.ok(r.status === 200 || r.status === 400, `${JSON.stringify(layout)} ${tz} → ${r.status}`);
    }
  });

  it("time formats the current time in a Go layout, in UTC by default", async () => {
    const before = Date.now();
    const r = await get(time.url, `/time/${encodeURIComponent("2006-01-02T15:04:05.000Z07:00 MST")}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.tz, "UTC");
    assert.equal(r.body.container, "time-container-1");
    assert.equal(r.body.host, "host-a");
    const m = /^(\S+) UTC$/.exec(String(r.body.time));
    assert.ok(m, String(r.body.time));
    const t = Date.parse(m[1]!);
    assert.ok(t >= before - 1000 && t <= Date.now() + 1000, `${m[1]} is not now`);
  });

  it("time honours ?tz= and refuses unknown zones with 400", async () => {
    const ok = await get(time.url, "/time/MST%20-07:00?tz=Asia/Kolkata");
    assert.equal(ok.body.time, "IST +05:30");
    assert.equal(ok.body.tz, "Asia/Kolkata");
    for (const tz of ["Mars/Olympus", "../../etc/passwd", ""]) {
      const bad = await get(time.url, `/time/15:04?tz=${encodeURIComponent(tz)}`);
      assert.equal(bad.status, 400, tz);
      assert.match(String(bad.body.error), /^unknown time zone/);
    }
  });

  it("answers 400, not 500, to request targets that are not URLs", async () => {
    const { connect } = await import("node:net");
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(time.port, "127.0.0.1", () => {
        socket.end("GET http://[::1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      });
      let data = "";
      socket.on("data", (c: Buffer) => {
        data += c.toString("latin1");
      });
      socket.on("end", () => resolve(data));
      socket.on("error", reject);
    });
    assert.match(raw, /^HTTP\/1\.1 400 /);
    assert.equal((await get(time.url, "/health", {})).status, 200);
  });

  it("answers 404 for other paths and 405 for other methods", async () => {
    assert.equal((await get(time.url, "/nope")).status, 404);
    const r = await fetch(`${calc.url}/calc/1`, { method: "POST", headers: { authorization: AUTH } });
    assert.equal(r.status, 405);
    await r.text();
  });
});

describe("examples service start-up", function () {
  this.timeout(30_000);

  it("refuses to start without credentials, naming the missing variables", async () => {
    const r = await runToExit("calc", {});
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[AUTH_USERNAME\] is required/);
    assert.match(r.stderr, /\[AUTH_PASSWORD\] is required/);
  });

  it("refuses a bad PORT", async () => {
    const r = await runToExit("time", { ...CREDS, PORT: "80x" });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[PORT\] must be an integer/);
  });

  it("listens on LISTEN_ADDRESS only when it is set, and refuses one that is not an address", async () => {
    const reachable = (host: string, port: number) =>
      fetch(`http://${host}:${port}/health`).then(
        (r) => r.status,
        () => "refused",
      );
    const loopbackOnly = await startServiceProcess("time", { ...CREDS, LISTEN_ADDRESS: "127.0.0.1" });
    const everywhere = await startServiceProcess("time", { ...CREDS });
    try {
      assert.equal(await reachable("127.0.0.1", loopbackOnly.port), 200);
      assert.equal(await reachable("127.0.0.2", loopbackOnly.port), "refused");
      assert.equal(await reachable("127.0.0.2", everywhere.port), 200);
    } finally {
      await loopbackOnly.kill();
      await everywhere.kill();
    }
    const bad = await runToExit("time", { ...CREDS, LISTEN_ADDRESS: "localhost; rm -rf /" });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /\[LISTEN_ADDRESS\] must be an IP address/);
  });
});

/** One request on a keep-alive agent-less socket, to see the Connection header the server sends. */
function rawGet(
  port: number,
  path: string,
): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, path, headers: { authorization: AUTH, connection: "keep-alive" } },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => {
          body += c.toString("utf8");
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("examples graceful stop", function () {
  this.timeout(30_000);
  let svc: ServiceProcess | undefined;
  afterEach(async () => {
    await svc?.kill();
  });

  it("keeps serving during the drain after SIGTERM, tells clients to close, then exits 0", async () => {
    svc = await startServiceProcess("calc", { ...CREDS, DRAIN_MS: "1500" });
    const before = await rawGet(svc.port, "/calc/1+1");
    assert.equal(before.status, 200);
    assert.notEqual(before.connection, "close");

    const sent = Date.now();
    svc.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    const during = await rawGet(svc.port, "/calc/2*3");
    assert.equal(during.status, 200);
    assert.equal(JSON.parse(during.body).result, 6);
    assert.equal(during.connection, "close");
    const health = await rawGet(svc.port, "/health");
    assert.equal(health.status, 503, "health says draining so checks take the instance out");

    const code = await svc.exited;
    assert.equal(code, 0);
    assert.ok(Date.now() - sent >= 1400, "exited before the drain period ended");
    await assert.rejects(rawGet(svc.port, "/health"), /ECONNREFUSED/);
  });
});
