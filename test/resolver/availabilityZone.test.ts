import { strict as assert } from "node:assert";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  type AvailabilityZoneOptions,
  discoverAvailabilityZone,
  isEc2Machine,
} from "../../resolver/src/availabilityZone";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A server on loopback whose behaviour each test sets; it counts the requests it was sent. */
class Double {
  handler: Handler = (_req, res) => res.writeHead(404).end();
  requests: { method: string; url: string; token?: string }[] = [];
  private readonly server: Server = createServer((req, res) => {
    this.requests.push({
      method: req.method ?? "",
      url: req.url ?? "",
      token: req.headers["x-aws-ec2-metadata-token"] as string | undefined,
    });
    res.setHeader("connection", "close");
    this.handler(req, res);
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** IMDSv2 as AWS describes it: a token from PUT /latest/api/token, and 401 for a GET without it. */
function imdsv2(azIdBody: string | ((res: ServerResponse) => void)): Handler {
  const token = "AQAEAtest-token==";
  return (req, res) => {
    if (req.method === "PUT" && req.url === "/latest/api/token") {
      if (!req.headers["x-aws-ec2-metadata-token-ttl-seconds"]) return void res.writeHead(400).end();
      return void res.writeHead(200, { "content-type": "text/plain" }).end(token);
    }
    if (req.headers["x-aws-ec2-metadata-token"] !== token) return void res.writeHead(401).end();
    if (req.method === "GET" && req.url === "/latest/meta-data/placement/availability-zone-id") {
      if (typeof azIdBody === "string") return void res.writeHead(200).end(azIdBody);
      return azIdBody(res);
    }
    res.writeHead(404).end();
  };
}

/** The ECS task metadata endpoint v4's /task document, trimmed to what matters here. */
function taskMetadata(body: string | ((res: ServerResponse) => void)): Handler {
  return (req, res) => {
    if (req.method !== "GET" || req.url !== "/v4/abc-123/task") return void res.writeHead(404).end();
    if (typeof body === "string")
      return void res.writeHead(200, { "content-type": "application/json" }).end(body);
    body(res);
  };
}

const fargateTask = (az: string) =>
  JSON.stringify({
    Cluster: "arn:aws:ecs:us-east-1:111122223333:cluster/c",
    AvailabilityZone: az,
    Containers: [],
  });
const hang = () => {};

describe("availability zone discovery", () => {
  const ecs = new Double();
  const imds = new Double();
  let ecsUri = "";
  let imdsBaseUrl = "";

  before(async () => {
    ecsUri = `${await ecs.start()}/v4/abc-123`;
    imdsBaseUrl = await imds.start();
  });
  after(async () => {
    await ecs.stop();
    await imds.stop();
  });
  beforeEach(() => {
    ecs.requests = [];
    imds.requests = [];
    ecs.handler = taskMetadata(fargateTask("us-east-1a"));
    imds.handler = imdsv2("use1-az6");
  });

  const options = (extra: Partial<AvailabilityZoneOptions> = {}): AvailabilityZoneOptions => ({
    env: { ECS_CONTAINER_METADATA_URI_V4: ecsUri },
    azIdsByName: { "us-east-1a": "use1-az4" },
    imdsBaseUrl,
    timeoutMs: 300,
    ...extra,
  });

  it("the IMDS double refuses a GET without a token, as IMDSv2 does", async () => {
    const res = await fetch(`${imdsBaseUrl}/latest/meta-data/placement/availability-zone-id`);
    assert.equal(res.status, 401);
    await res.body?.cancel();
  });

  it("takes the task metadata endpoint's zone, mapped to its ID, before IMDS", async () => {
    const zone = await discoverAvailabilityZone(options());
    assert.deepEqual(zone, { azId: "use1-az4", source: "ecs-task-metadata" });
    assert.equal(imds.requests.length, 0);
  });

  it("asks IMDSv2 with a token when there is no task metadata endpoint", async () => {
    const zone = await discoverAvailabilityZone(options({ env: {} }));
    assert.deepEqual(zone, { azId: "use1-az6", source: "imds" });
    assert.deepEqual(
      imds.requests.map((r) => [r.method, r.url, r.token !== undefined]),
      [
        ["PUT", "/latest/api/token", false],
        ["GET", "/latest/meta-data/placement/availability-zone-id", true],
      ],
    );
  });

  it("moves on to IMDS when the task's AZ name has no known ID, and says why when IMDS fails too", async () => {
    assert.deepEqual(await discoverAvailabilityZone(options({ azIdsByName: {} })), {
      azId: "use1-az6",
      source: "imds",
    });
    imds.handler = (_req, res) => res.writeHead(404).end();
    const zone = await discoverAvailabilityZone(options({ azIdsByName: {} }));
    assert.deepEqual(zone, {
      azId: undefined,
      tried: [
        {
          source: "ecs-task-metadata",
          problem: 'task metadata gives the AZ name "us-east-1a", not in azIdsByName',
        },
        { source: "imds", problem: "token: HTTP 404" },
      ],
    });
  });

  it("an explicit azId wins and no endpoint is asked", async () => {
    const zone = await discoverAvailabilityZone(options({ azId: "euw1-az2" }));
    assert.deepEqual(zone, { azId: "euw1-az2", source: "option" });
    assert.equal(ecs.requests.length + imds.requests.length, 0);
  });

  it("refuses a malformed explicit azId instead of guessing", async () => {
    const zone = await discoverAvailabilityZone(options({ azId: "us-east-1a" }));
    assert.deepEqual(zone, {
      azId: undefined,
      tried: [{ source: "option", problem: 'malformed AZ ID "us-east-1a"' }],
    });
    assert.equal(ecs.requests.length + imds.requests.length, 0);
  });

  it("refuses a malformed AZ ID from IMDS or from the name mapping", async () => {
    imds.handler = imdsv2("us-east-1a");
    const zone = await discoverAvailabilityZone(options({ azIdsByName: { "us-east-1a": "use1-AZ4" } }));
    assert.deepEqual(zone, {
      azId: undefined,
      tried: [
        { source: "ecs-task-metadata", problem: 'malformed AZ ID "use1-AZ4"' },
        { source: "imds", problem: 'malformed AZ ID "us-east-1a"' },
      ],
    });
  });

  it("accepts the AZ ID shapes AWS uses", async () => {
    for (const azId of ["use1-az4", "euw1-az2", "apne1-az1", "usgw1-az3", "cac1-az12"]) {
      imds.handler = imdsv2(`${azId}\n`);
      assert.deepEqual(await discoverAvailabilityZone(options({ env: {} })), { azId, source: "imds" });
    }
  });

  it("bounds each source by timeoutMs and reports the timeouts", async () => {
    ecs.handler = hang;
    imds.handler = hang;
    const started = Date.now();
    const zone = await discoverAvailabilityZone(options({ timeoutMs: 150 }));
    const elapsed = Date.now() - started;
    assert.deepEqual(zone, {
      azId: undefined,
      tried: [
        { source: "ecs-task-metadata", problem: "no answer within 150 ms" },
        { source: "imds", problem: "no answer within 150 ms" },
      ],
    });
    assert.ok(elapsed >= 290 && elapsed < 1500, `took ${elapsed} ms`);
  });

  it("bounds a body that starts and never ends", async () => {
    imds.handler = imdsv2((res) => res.writeHead(200).write("use1-"));
    const zone = await discoverAvailabilityZone(options({ env: {}, timeoutMs: 150 }));
    assert.deepEqual(zone, { azId: undefined, tried: [tried("ecs-unset"), tried("imds-timeout")] });
  });

  it("reports bad bodies: not JSON, no zone, too large", async () => {
    ecs.handler = taskMetadata("{not json");
    imds.handler = imdsv2((res) => res.writeHead(200).end("x".repeat(10_000)));
    assert.deepEqual(await discoverAvailabilityZone(options()), {
      azId: undefined,
      tried: [
        { source: "ecs-task-metadata", problem: "task metadata is not JSON" },
        { source: "imds", problem: "body over 256 bytes" },
      ],
    });
    ecs.handler = taskMetadata(JSON.stringify({ Cluster: "c", LaunchType: "EC2" }));
    imds.handler = imdsv2((res) => res.writeHead(500).end());
    assert.deepEqual(await discoverAvailabilityZone(options()), {
      azId: undefined,
      tried: [
        { source: "ecs-task-metadata", problem: "task metadata has no AvailabilityZone" },
        { source: "imds", problem: "HTTP 500" },
      ],
    });
    ecs.handler = taskMetadata(`{"AvailabilityZone":"us-east-1a","pad":"${"x".repeat(70_000)}"}`);
    const closed = new Double();
    const closedUrl = await closed.start();
    await closed.stop();
    const zone = await discoverAvailabilityZone(options({ imdsBaseUrl: closedUrl }));
    assert.deepEqual(zone, {
      azId: undefined,
      tried: [
        { source: "ecs-task-metadata", problem: "body over 65536 bytes" },
        { source: "imds", problem: "ECONNREFUSED" },
      ],
    });
  });

  it("skips IMDS when AWS_EC2_METADATA_DISABLED is true", async () => {
    const zone = await discoverAvailabilityZone(options({ env: { AWS_EC2_METADATA_DISABLED: "true" } }));
    assert.deepEqual(zone, { azId: undefined, tried: [tried("ecs-unset"), tried("imds-disabled")] });
    assert.equal(imds.requests.length, 0);
  });

  it("asks once per options object", async () => {
    const once = options();
    const [a, b] = await Promise.all([discoverAvailabilityZone(once), discoverAvailabilityZone(once)]);
    assert.equal(a, b);
    assert.equal(await discoverAvailabilityZone(once), a);
    assert.equal(ecs.requests.length, 1);
    await discoverAvailabilityZone(options());
    assert.equal(ecs.requests.length, 2);
  });
});

describe("availability zone discovery: IMDS only on an EC2 machine", () => {
  const roots: string[] = [];
  after(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  /** A sysfs tree holding just `files` (path under the root → content). */
  function sysfs(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), "sysfs-"));
    roots.push(root);
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), content);
    }
    return root;
  }

  it("knows an EC2 machine by its DMI vendor, asset tag or system UUID, or its Xen hypervisor UUID", async () => {
    const ec2: Record<string, string>[] = [
      { "class/dmi/id/sys_vendor": "Amazon EC2\n" },
      { "class/dmi/id/board_asset_tag": "i-0123456789abcdef0\n" },
      { "class/dmi/id/product_uuid": "EC2E1916-9099-7CAF-FD21-012345678901\n" },
      { "hypervisor/uuid": "ec2e1916-9099-7caf-fd21-012345678901\n" },
    ];
    for (const files of ec2) assert.equal(await isEc2Machine(sysfs(files)), true, JSON.stringify(files));
    const other: Record<string, string>[] = [
      {},
      {
        "class/dmi/id/sys_vendor": "QEMU\n",
        "class/dmi/id/product_uuid": "4c4c4544-0042-3510-8052-b4c04f4e4a31",
      },
      { "class/dmi/id/sys_vendor": "Amazon EC2 and more" },
      { "class/dmi/id/board_asset_tag": "i-not-an-id" },
      { "class/dmi/id/sys_vendor": `${"x".repeat(100_000)}Amazon EC2` },
    ];
    for (const files of other) assert.equal(await isEc2Machine(sysfs(files)), false, JSON.stringify(files));
    assert.equal(await isEc2Machine(join(tmpdir(), "no-such-sysfs-root")), false);
  });

  it("does not ask IMDS on a machine that is not EC2, and says so", async () => {
    // Nothing is listening for it here: only the sysfs tree decides, and no request may leave loopback.
    const zone = await discoverAvailabilityZone({
      env: {},
      sysfsRoot: sysfs({ "class/dmi/id/sys_vendor": "QEMU" }),
    });
    assert.deepEqual(zone, {
      azId: undefined,
      tried: [tried("ecs-unset"), { source: "imds", problem: "not an EC2 machine" }],
    });
  });

  it("asks IMDS wherever the process runs when imdsBaseUrl is given", async () => {
    const imds = new Double();
    const imdsBaseUrl = await imds.start();
    imds.handler = imdsv2("use1-az2");
    try {
      const zone = await discoverAvailabilityZone({ env: {}, imdsBaseUrl, sysfsRoot: sysfs({}) });
      assert.deepEqual(zone, { azId: "use1-az2", source: "imds" });
      assert.equal(imds.requests.length, 2);
    } finally {
      await imds.stop();
    }
  });
});

function tried(what: "ecs-unset" | "imds-timeout" | "imds-disabled") {
  switch (what) {
    case "ecs-unset":
      return { source: "ecs-task-metadata", problem: "ECS_CONTAINER_METADATA_URI_V4 is not set" };
    case "imds-timeout":
      return { source: "imds", problem: "no answer within 150 ms" };
    case "imds-disabled":
      return { source: "imds", problem: "AWS_EC2_METADATA_DISABLED is true" };
  }
}
