// The dispatcher with Node's own global fetch on every runtime our consumers use: the machine's Node.js and the
// Node.js 22 and 24 binaries from the npm registry's `node` package (scripts/node-runtime.sh).
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

describe("global fetch with the dispatcher on Node.js 20, 22 and 24", function () {
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

  const binaries: [string, () => Promise<string>][] = [
    ["the machine's", async () => process.execPath],
    [
      "22",
      async () => (await run("bash", [path.join(REPO, "scripts", "node-runtime.sh"), "22"])).stdout.trim(),
    ],
    [
      "24",
      async () => (await run("bash", [path.join(REPO, "scripts", "node-runtime.sh"), "24"])).stdout.trim(),
    ],
  ];
  for (const [label, binary] of binaries) {
    it(`reaches the service on ${label} Node.js`, async () => {
      const node = await binary();
      const url = `http://_rt._tcp.${zone.zoneName}/`;
      const { stdout } = await run(
        node,
        ["--require", "tsx/cjs", path.join(__dirname, "fixtures", "globalFetch.ts")],
        {
          cwd: REPO,
          timeout: 60_000,
          env: {
            ...process.env,
            TSX_TSCONFIG_PATH: path.join(REPO, "tsconfig.json"),
            DNS_SERVER: `${zone.dns.host}:${zone.dns.port}`,
            ZONE: zone.zoneName,
            URL: url,
          },
        },
      );
      const out = JSON.parse(stdout) as { node: string; status: number; body: string };
      if (label !== "the machine's") assert.match(out.node, new RegExp(`^v${label}\\.`));
      assert.equal(out.status, 200);
      assert.equal(out.body, `hello _rt._tcp.${zone.zoneName}`);
    });
  }
});
