// The dispatcher with Node's own global fetch on every runtime our consumers use (the Node.js binaries from the
// npm registry's `node` package, scripts/node-runtime.sh), the resolver on undici 7 and on undici 8
// (support/undici8.js), handed to fetch per request and set for the whole process with setGlobalDispatcher: a
// dispatcher of one undici major under a fetch of another.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { ChangeResourceRecordSetsCommand } from "@aws-sdk/client-route-53";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { route53Client } from "../../route53";

const REPO = path.join(__dirname, "..", "..");
const run = promisify(execFile);

/** The runtimes our consumers use, each from scripts/node-runtime.sh. */
const RUNTIMES = [20, 22, 24, 26] as const;
/** The undici major each one's global fetch is built on (`process.versions.undici`), as resolver/README.md says. */
const BUNDLED_UNDICI: Record<(typeof RUNTIMES)[number], number> = { 20: 6, 22: 6, 24: 7, 26: 8 };

interface Answer {
  node: string;
  bundledUndici: string;
  undici: string;
  status: number;
  body: string;
}

describe("global fetch with the dispatcher on Node.js 20, 22, 24 and 26, the resolver on undici 7 and 8", function () {
  this.timeout(180_000);
  let zone: LocalZone;
  let server: http.Server;

  before(async () => {
    zone = await startLocalZone();
    server = http.createServer((req, res) => res.end(`hello ${req.headers.host}`));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const route53 = route53Client({ endpoint: zone.apiUrl });
    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.hostedZoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: "UPSERT",
              ResourceRecordSet: {
                Name: `h.${zone.zoneName}`,
                Type: "A",
                TTL: 60,
                ResourceRecords: [{ Value: "127.0.0.1" }],
              },
            },
            {
              Action: "UPSERT",
              ResourceRecordSet: {
                Name: `_rt._tcp.${zone.zoneName}`,
                Type: "SRV",
                TTL: 10,
                SetIdentifier: "one",
                MultiValueAnswer: true,
                ResourceRecords: [{ Value: `1 1 ${port} h.${zone.zoneName}` }],
              },
            },
          ],
        },
      }),
    );
    route53.destroy();
  });
  after(async () => {
    server.close();
    await zone.close();
  });

  for (const runtime of RUNTIMES) {
    // undici 8 does not load on Node.js 20 (it needs 22.19): there the resolver runs on undici 7 alone.
    for (const undici of runtime === 20 ? [7] : [7, 8]) {
      for (const global of [false, true]) {
        const how = global ? "setGlobalDispatcher and a plain fetch" : "fetch(url, { dispatcher })";
        it(`Node.js ${runtime} (its fetch on undici ${BUNDLED_UNDICI[runtime]}), the resolver on undici ${undici}: ${how}`, async () => {
          const node = (
            await run("bash", [path.join(REPO, "scripts", "node-runtime.sh"), String(runtime)])
          ).stdout.trim();
          const url = `http://_rt._tcp.${zone.zoneName}/`;
          const onUndici8 = undici === 8 ? ["--require", path.join(__dirname, "support", "undici8.js")] : [];
          const { stdout } = await run(
            node,
            ["--require", "tsx/cjs", ...onUndici8, path.join(__dirname, "fixtures", "globalFetch.ts")],
            {
              cwd: REPO,
              timeout: 60_000,
              env: {
                ...process.env,
                TSX_TSCONFIG_PATH: path.join(REPO, "tsconfig.json"),
                DNS_SERVER: `${zone.dns.host}:${zone.dns.port}`,
                ZONE: zone.zoneName,
                URL: url,
                GLOBAL_DISPATCHER: global ? "1" : "0",
              },
            },
          );
          const out = JSON.parse(stdout) as Answer;
          assert.match(out.node, new RegExp(`^v${runtime}\\.`));
          assert.match(out.bundledUndici, new RegExp(`^${BUNDLED_UNDICI[runtime]}\\.`));
          assert.match(out.undici, new RegExp(`^${undici}\\.`));
          assert.equal(out.status, 200);
          assert.equal(out.body, `hello _rt._tcp.${zone.zoneName}`);
        });
      }
    }
  }
});
