// IMDSv2 as the agent speaks it, against a loopback server standing in for 169.254.169.254 (the agent's
// requests are redirected there through its fetch hook; the real address is never contacted).
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { HostIdentityError, resolveHostIdentity } from "../../agent/hostIdentity";

describe("agent host identity (IMDSv2)", () => {
  let server: http.Server;
  let base: string;
  const seen: string[] = [];
  let tokenStatus = 200;

  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers["x-aws-ec2-metadata-token"] ?? ""}`);
      if (req.method === "PUT" && req.url === "/latest/api/token") {
        if (req.headers["x-aws-ec2-metadata-token-ttl-seconds"] === undefined)
          return res.writeHead(400).end();
        return res.writeHead(tokenStatus).end("tok-123");
      }
      if (req.headers["x-aws-ec2-metadata-token"] !== "tok-123") return res.writeHead(401).end();
      if (req.url === "/latest/meta-data/instance-id") return res.end("i-0123456789abcdef0\n");
      if (req.url === "/latest/meta-data/local-ipv4") return res.end("10.0.3.7");
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    seen.length = 0;
    tokenStatus = 200;
  });

  const viaLoopback: typeof fetch = (input, init) =>
    fetch(String(input).replace("http://169.254.169.254", base), init);

  it("takes a session token first, then reads instance id and private IPv4 with it", async () => {
    const id = await resolveHostIdentity({}, { fetchImpl: viaLoopback });
    assert.deepEqual(id, { hostId: "i-0123456789abcdef0", address: "10.0.3.7" });
    assert.deepEqual(seen, [
      "PUT /latest/api/token ",
      "GET /latest/meta-data/instance-id tok-123",
      "GET /latest/meta-data/local-ipv4 tok-123",
    ]);
  });

  it("asks nothing when both are configured, and only for what is missing otherwise", async () => {
    assert.deepEqual(
      await resolveHostIdentity({ hostId: "h1", address: "127.0.0.1" }, { fetchImpl: viaLoopback }),
      {
        hostId: "h1",
        address: "127.0.0.1",
      },
    );
    assert.deepEqual(seen, []);
    await resolveHostIdentity({ hostId: "h1" }, { fetchImpl: viaLoopback });
    assert.deepEqual(seen.slice(1), ["GET /latest/meta-data/local-ipv4 tok-123"]);
  });

  it("fails with a message that says how to run off EC2", async () => {
    tokenStatus = 403;
    await assert.rejects(resolveHostIdentity({}, { fetchImpl: viaLoopback }), HostIdentityError);
    const unreachable: typeof fetch = () => Promise.reject(new TypeError("fetch failed"));
    await assert.rejects(
      resolveHostIdentity({}, { fetchImpl: unreachable }),
      /ECSSD_HOST_ID and ECSSD_HOST_IP/,
    );
  });
});
