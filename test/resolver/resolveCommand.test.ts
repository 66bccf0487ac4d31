import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { AuthoritativeServer } from "../kit/authoritativeServer";

const ZONE = "servicediscovery.internal";
const BIN = path.join(__dirname, "..", "..", "bin", "ecssd.js");

function ecssd(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 50_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe("ecssd resolve", function () {
  // Each case starts the CLI as a process (TypeScript compiled on the fly): slow on a busy machine.
  this.timeout(60_000);
  let dns: AuthoritativeServer;

  before(async () => {
    dns = await AuthoritativeServer.start({ zone: ZONE });
    dns.addService(`_calc._tcp.${ZONE}`, [
      { target: `h1.${ZONE}`, address: "127.0.0.1", port: 8001 },
      { target: `h2.${ZONE}`, address: "127.0.0.2", port: 8002, priority: 2 },
    ]);
  });
  after(async () => {
    await dns.close();
  });

  it("prints every endpoint as JSON, in RFC 2782 order", async () => {
    const { code, stdout } = await ecssd(["resolve", "calc", "--server", dns.endpoint]);
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(stdout), [
      { host: `h1.${ZONE}`, address: "127.0.0.1", port: 8001, priority: 1, weight: 1, ttl: 10 },
      { host: `h2.${ZONE}`, address: "127.0.0.2", port: 8002, priority: 2, weight: 1, ttl: 10 },
    ]);
  });

  it("prints one endpoint with --pick", async () => {
    const { code, stdout } = await ecssd(["resolve", "_calc._tcp", "--server", dns.endpoint, "--pick"]);
    assert.equal(code, 0);
    assert.equal(JSON.parse(stdout).port, 8001);
  });

  it("names the query and the server when the service does not exist", async () => {
    const { code, stderr } = await ecssd(["resolve", "nosuch", "--server", dns.endpoint]);
    assert.equal(code, 1);
    assert.match(stderr, /name not found \(NXDOMAIN\): SRV _nosuch\._tcp\.servicediscovery\.internal/);
    assert.match(stderr, new RegExp(dns.endpoint.replace(/\./g, "\\.")));
  });

  it("rejects a malformed server address", async () => {
    const { code, stderr } = await ecssd(["resolve", "calc", "--server", "dns.example"]);
    assert.equal(code, 1);
    assert.match(stderr, /invalid nameserver "dns\.example"/);
  });
});
