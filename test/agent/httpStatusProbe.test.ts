// The agent's HTTP probe over raw sockets, against loopback servers that answer in every way HTTP allows
// (and some it does not): the status decides, a kept-alive connection is reused, and a connection the server
// closed while idle costs no false failure.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import { httpStatus } from "../../agent/httpStatusProbe";

describe("agent: HTTP status probe", () => {
  const servers: (http.Server | net.Server)[] = [];
  after(() => {
    for (const s of servers) s.close();
  });
  async function listen(server: http.Server | net.Server): Promise<number> {
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return (server.address() as AddressInfo).port;
  }
  /** A server that writes `raw` to every connection, then leaves it as `then` says. */
  function rawServer(raw: string, then: "end" | "hold" = "end"): net.Server {
    return net.createServer((s) => {
      s.on("error", () => {});
      s.once("data", () => {
        s.write(raw);
        if (then === "end") s.end();
      });
    });
  }

  it("passes the status of a kept-alive response and reuses the connection", async () => {
    let connections = 0;
    const server = http.createServer((req, res) => {
      res.statusCode = req.url === "/health" ? 204 : 404;
      res.end();
    });
    server.on("connection", () => connections++);
    const port = await listen(server);
    for (let i = 0; i < 5; i++)
      assert.deepEqual(await httpStatus("127.0.0.1", port, "/health", 1000), { status: 204 });
    assert.deepEqual(await httpStatus("127.0.0.1", port, "/nope", 1000), { status: 404 });
    assert.equal(connections, 1);
  });

  it("reads chunked, close-delimited and HTTP/1.0 answers by their status line", async () => {
    const answers: [string, number][] = [
      ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", 200],
      ["HTTP/1.1 302 Found\r\nLocation: /x\r\nConnection: close\r\n\r\n", 302],
      ["HTTP/1.0 503 Service Unavailable\r\n\r\ndraining", 503],
      ["HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", 200],
    ];
    for (const [raw, status] of answers) {
      const port = await listen(rawServer(raw));
      assert.deepEqual(await httpStatus("127.0.0.1", port, "/", 1000), { status }, raw);
    }
  });

  it("fails what is not HTTP, a header without end, a refused port and a silent server, each within its timeout", async () => {
    const garbage = await listen(rawServer("SSH-2.0-OpenSSH\r\n\r\n"));
    assert.equal((await httpStatus("127.0.0.1", garbage, "/", 1000)).error, "not an HTTP/1.x response");
    const endless = await listen(rawServer(`HTTP/1.1 200 OK\r\nX: ${"a".repeat(20_000)}`, "hold"));
    assert.equal((await httpStatus("127.0.0.1", endless, "/", 1000)).error, "response header too large");
    const closed = await listen(net.createServer());
    servers.pop()?.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await httpStatus("127.0.0.1", closed, "/", 1000)).error, "ECONNREFUSED");
    const silent = await listen(net.createServer((s) => s.on("error", () => {})));
    const started = Date.now();
    assert.equal((await httpStatus("127.0.0.1", silent, "/", 300)).error, "timed out after 300 ms");
    assert.ok(Date.now() - started < 1000);
  });

  it("retries once on a fresh connection when the server closed the idle one", async () => {
    const server = http.createServer((_req, res) => res.end("ok"));
    server.keepAliveTimeout = 50;
    const port = await listen(server);
    assert.deepEqual(await httpStatus("127.0.0.1", port, "/", 1000), { status: 200 });
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await httpStatus("127.0.0.1", port, "/", 1000), { status: 200 });
  });
});
