// The coalescer's HTTP API over its port (ZoneChanges): the agents' reads of their own sets and of names,
// their change submits, and the status. Hand-written on node:http rather than a framework: four JSON routes,
// whose whole job is bounding and judging what a client sends (changeRequest.ts), are smaller written out
// than a framework's configuration of the same bounds, and a submit must be free to wait minutes for the
// zone's shared budget, which is easiest to see to with the server's own timeouts in view.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { errorText, type Log } from "../agent/syncLoop";
import { InvalidChangeBatchError, ZoneBusyError } from "../route53/errors";
import { COALESCER_API_LIMITS, type CoalescerErrorBody, type CoalescerErrorCode } from "./apiContract";
import { carriesToken } from "./apiToken";
import {
  judgeChangeRequest,
  judgeContainerCaps,
  judgeDeployment,
  judgeHostId,
  judgeReadRequest,
} from "./changeRequest";
import type { ZoneChanges } from "./zoneChanges";

export interface CoalescerApiOptions {
  readonly zone: ZoneChanges;
  /** The zone the coalescer writes: every name a host changes must be in it. */
  readonly zoneName: string;
  /** The core's status, served as it is at `GET /v1/status`; agents take the zone id from it. */
  readonly status: () => { readonly zoneId: string; readonly zoneName: string };
  readonly log: Log;
  /** Listen address; default 127.0.0.1. */
  readonly address?: string;
  /** Listen port; 0 (the default) picks a free one. */
  readonly port?: number;
  /**
   * The bearer token every request must carry (`Authorization: Bearer <token>`), status included; others get 401
   * before their body is read. None: anyone who reaches the port may call it.
   */
  readonly token?: string;
  /**
   * ECSSD_MAX_PORTS_PER_CONTAINER: a host's submit may not take one of its containers over this many SRV sets
   * (or TXT markers), as its agent would not; none: not counted.
   */
  readonly maxPortsPerContainer?: number;
}

export interface CoalescerApi {
  /** `http://<address>:<port>`, the address as given (0.0.0.0 when listening on every interface). */
  readonly url: string;
  readonly port: number;
  /** Requests being answered now. */
  inFlight(): number;
  /** Requests refused so far for want of the token (401). */
  unauthorized(): number;
  /**
   * Stops accepting: new requests get 503 Busy, the listening socket closes, and submits under way may finish
   * for up to `graceMs` before every connection is closed.
   */
  close(graceMs?: number): Promise<void>;
}

/** A refusal with its status; anything else a handler throws is a 500 that names it. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: CoalescerErrorCode,
    message?: string,
  ) {
    super(message ?? code);
  }
}

// Receiving one request (headers and body) may not take longer than this; answering it may (a submit waits for
// the zone's budget, which all hosts share), so the server sets no socket or response timeout at all.
const RECEIVE_TIMEOUT_MS = 60_000;
const HEADERS_TIMEOUT_MS = 30_000;

const HOST_ROUTE = /^\/v1\/hosts\/([^/]+)\/(record-sets|changes)$/;

/** Starts the API; resolves once it listens. */
export async function startCoalescerApi(opts: CoalescerApiOptions): Promise<CoalescerApi> {
  let stopping = false;
  let inFlight = 0;
  let unauthorized = 0;
  const drained: (() => void)[] = [];
  const server = http.createServer({
    requestTimeout: RECEIVE_TIMEOUT_MS,
    headersTimeout: HEADERS_TIMEOUT_MS,
  });
  server.timeout = 0;
  server.on("request", (req, res) => {
    inFlight++;
    // A client that gives up (its connection closes before the answer) takes its submit back.
    const gaveUp = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) gaveUp.abort();
      inFlight--;
      if (inFlight === 0) for (const d of drained.splice(0)) d();
    });
    // First of all, so that a caller without the token learns nothing (not even which routes exist) and sends
    // no body we read: the connection closes after the answer, so its body is never drained either.
    if (opts.token !== undefined && !carriesToken(req.headers.authorization, opts.token)) {
      unauthorized++;
      res.setHeader("Connection", "close");
      res.setHeader("WWW-Authenticate", 'Bearer realm="ecssd-coalescer"');
      send(res, 401, {
        error: "Unauthorized",
        message: "a bearer token (ECSSD_COALESCER_TOKEN) is required",
      });
      return;
    }
    if (stopping) {
      res.setHeader("Connection", "close");
      send(res, 503, { error: "Busy", message: "the coalescer is stopping" });
      return;
    }
    route(req, opts, gaveUp.signal, () => unauthorized)
      .then((answer) => send(res, answer.status, answer.body))
      .catch((err: unknown) => {
        if (err instanceof Refusal) {
          if (err.status === 413) res.setHeader("Connection", "close");
          send(res, err.status, { error: err.code, message: err.message });
          return;
        }
        opts.log.error({ action: "api", url: req.url, err: errorText(err) }, "request failed");
        send(res, 500, { error: "Internal", message: errorText(err) });
      });
  });
  // A malformed request line or headers: answer 400 and drop the connection, as node does by default,
  // without letting the socket's error reach the process.
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (socket.writable && err.code !== "ECONNRESET")
      socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.address ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port, address, family } = server.address() as AddressInfo;
  const host = family === "IPv6" ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    inFlight: () => inFlight,
    unauthorized: () => unauthorized,
    async close(graceMs = 30_000) {
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => drained.push(resolve)),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, graceMs);
          }),
        ]);
        clearTimeout(timer);
      }
      server.closeAllConnections();
      await closed;
    },
  };
}

interface Answer {
  readonly status: number;
  readonly body?: unknown;
}

async function route(
  req: http.IncomingMessage,
  opts: CoalescerApiOptions,
  gaveUp: AbortSignal,
  unauthorized: () => number,
): Promise<Answer> {
  const url = new URL(req.url ?? "/", "http://coalescer");
  const method = req.method ?? "GET";
  if (url.pathname === "/v1/status") {
    allow(method, "GET");
    // With the requests it refused for want of the token: a misconfigured fleet shows here.
    return { status: 200, body: { ...opts.status(), unauthorized: unauthorized() } };
  }
  if (url.pathname === "/v1/record-sets/read") {
    allow(method, "POST");
    const names = judged(judgeReadRequest(await readJson(req)));
    return { status: 200, body: { recordSets: await opts.zone.readNames(names) } };
  }
  const hostRoute = HOST_ROUTE.exec(url.pathname);
  if (hostRoute) {
    const hostId = judged(judgeHostId(decodeURIComponent(hostRoute[1] as string)));
    if (hostRoute[2] === "record-sets") {
      allow(method, "GET");
      const deployment = judged(
        judgeDeployment(url.searchParams.get("deployment") ?? undefined, "the query's deployment"),
      );
      return { status: 200, body: { recordSets: await opts.zone.hostRecordSets(hostId, deployment) } };
    }
    allow(method, "POST");
    const request = judged(judgeChangeRequest(await readJson(req), { hostId, zoneName: opts.zoneName }));
    // Judged sets other than A ones are the host's instances and their markers: only a submit that writes one
    // can take a container over the cap, and only it pays for reading the host's sets from the copy.
    const cap = opts.maxPortsPerContainer;
    if (cap !== undefined && request.changes.some((c) => c.action !== "DELETE" && c.recordSet.Type !== "A")) {
      const current = await opts.zone.hostRecordSets(hostId, request.deployment);
      judged(judgeContainerCaps(request.changes, current, cap));
    }
    try {
      await opts.zone.submit(hostId, request.changes, gaveUp);
    } catch (err) {
      if (err instanceof InvalidChangeBatchError) {
        opts.log.info({ action: "refused", host: hostId, err: err.message }, "changes refused as they stand");
        return { status: 409, body: { error: "InvalidChangeBatch", message: err.message } };
      }
      if (err instanceof ZoneBusyError) return { status: 503, body: { error: "Busy", message: err.message } };
      throw err;
    }
    return { status: 204 };
  }
  throw new Refusal(404, "NotFound", `no route ${method} ${url.pathname}`);
}

function allow(method: string, allowed: string): void {
  if (method !== allowed) throw new Refusal(405, "MethodNotAllowed", `only ${allowed} here, not ${method}`);
}

function judged<T>(j: { ok: T } | { status: 400 | 403; message: string }): T {
  if ("ok" in j) return j.ok;
  throw new Refusal(j.status, j.status === 403 ? "Forbidden" : "BadRequest", j.message);
}

/** The body as JSON, at most COALESCER_API_LIMITS.bodyBytes of it. */
async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const limit = COALESCER_API_LIMITS.bodyBytes;
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Refusal(400, "BadRequest", `the body is not JSON: ${errorText(err)}`);
  }
}

function tooLarge(limit: number): Refusal {
  return new Refusal(413, "PayloadTooLarge", `the body is larger than ${limit} bytes`);
}

function send(res: http.ServerResponse, status: number, body?: unknown | CoalescerErrorBody): void {
  if (res.headersSent || res.destroyed) return;
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}
