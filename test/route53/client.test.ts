// The edge's client gives up on an endpoint that accepts a connection and never answers, after one timeout.
import assert from "node:assert/strict";
import net from "node:net";
import { ListHostedZonesByVPCCommand } from "@aws-sdk/client-route-53";
import { route53Client } from "../../route53/client";
import { classifyError } from "../../route53/errorClass";

describe("route53Client", () => {
  let server: net.Server | undefined;
  const held: net.Socket[] = [];
  afterEach(async () => {
    for (const s of held.splice(0)) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it("fails a request to an endpoint that accepts and never answers after one request timeout, as retryable", async () => {
    server = net.createServer((socket) => {
      held.push(socket); // read the request, never answer
      socket.resume();
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    const client = route53Client({ endpoint: `http://127.0.0.1:${port}`, requestTimeoutMs: 300 });
    const started = process.hrtime.bigint();
    const err = await client
      .send(new ListHostedZonesByVPCCommand({ VPCId: "vpc-1", VPCRegion: "us-east-1" }))
      .then(
        () => assert.fail("a server that never answers cannot succeed"),
        (e: unknown) => e as Error,
      );
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    client.destroy();
    assert.equal(err.name, "TimeoutError", String(err));
    assert.equal(classifyError(err).kind, "retryable");
    assert.equal(held.length, 1, "one connection, one attempt");
    // One timeout, not the SDK's 300 s default; the bound is loose so a busy machine cannot fail it.
    assert.ok(elapsedMs >= 250 && elapsedMs < 10_000, `took ${elapsedMs} ms`);
  });
});
