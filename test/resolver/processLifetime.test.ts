import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { AuthoritativeServer } from "../kit/authoritativeServer";

const ZONE = "servicediscovery.internal";
const ROOT = path.join(__dirname, "..", "..");

/** Runs a script that resolves one name once and never calls close(); returns what it printed and how long it lived. */
function runOnce(
  server: string,
  timeoutMs: number,
): Promise<{ out: string; code: number | null; ms: number }> {
  const script = `
    const { createResolver } = require(${JSON.stringify(path.join(ROOT, "resolver", "src", "index.ts"))});
    createResolver({ servers: [${JSON.stringify(server)}], timeoutMs: ${timeoutMs} })
      .resolve("calc")
      .then((endpoints) => console.log(JSON.stringify(endpoints.map((e) => e.address + ":" + e.port))));
  `;
  const started = Date.now();
  const child = spawn(process.execPath, ["--require", "tsx/cjs", "-e", script], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  return new Promise((resolve) =>
    child.on("close", (code) => resolve({ out, code, ms: Date.now() - started })),
  );
}

describe("resolver and the life of the process", () => {
  let server: AuthoritativeServer;

  before(async () => {
    server = await AuthoritativeServer.start({ zone: ZONE });
    server.addService(`_calc._tcp.${ZONE}`, [{ target: `h1.${ZONE}`, address: "10.0.0.7", port: 8080 }]);
    // A slow server: the answer comes after the script has nothing left to run but the wait.
    server.hook = (ctx) => {
      setTimeout(() => ctx.send(ctx.answer()), 300);
      return true;
    };
  });
  after(() => server.close());

  it("keeps the process alive while a query waits, and not a moment for its unused timeout", async () => {
    // A 60 s timeout: if the pending deadline held the process, the script would live a minute.
    const { out, code, ms } = await runOnce(server.endpoint, 60_000);
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(out), ["10.0.0.7:8080"], "the script lived to print its answer");
    assert.ok(ms < 30_000, `the script exited once answered (lived ${ms} ms)`);
  });
});
