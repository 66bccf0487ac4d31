// A small HTTP server kit on node:http shared by the example services: JSON answers that say who
// answered, an open /health, basic auth on everything else, request logs without credentials, and
// a graceful stop that keeps serving through a drain period so DNS forgets the instance first.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { BasicAuth } from "./basicAuth";
import type { Identity } from "./containerIdentity";
import { HttpError } from "./httpError";

/** What a route answers: JSON (the default) or raw bytes such as a static file. */
export type RouteResult =
  | { readonly status?: number; readonly json: Record<string, unknown> }
  | {
      readonly status?: number;
      readonly body: Buffer | string;
      readonly contentType: string;
      readonly headers?: Readonly<Record<string, string>>;
    };

/** A route answers GET requests whose path starts with `prefix`; `rest` is the decoded remainder. */
export interface Route {
  readonly prefix: string;
  /** Exact paths only (no remainder allowed). */
  readonly exact?: boolean;
  /** Open routes skip basic auth (the portal's page, /health is always open). */
  readonly open?: boolean;
  handle(rest: string, query: URLSearchParams, req: IncomingMessage): RouteResult | Promise<RouteResult>;
}

export interface HttpServiceOptions {
  readonly name: string;
  readonly routes: readonly Route[];
  readonly logger: Logger;
  readonly identity: Identity;
  /** When absent, no route asks for credentials. */
  readonly auth?: BasicAuth;
  /** Listen on this address only; absent, on every interface. */
  readonly listenAddress?: string;
}

export interface HttpService {
  readonly server: Server;
  readonly port: number;
  /** True once draining started: /health answers 503 and every response closes its connection. */
  readonly draining: boolean;
  /** Keep serving `drainMs`, telling keep-alive clients to close, then stop listening and wait for in-flight requests. */
  drainAndClose(drainMs: number): Promise<void>;
}

const MAX_URL_LENGTH = 8192;

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: Buffer | string,
  close: boolean,
): void {
  const payload = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  res.statusCode = status;
  res.setHeader("Content-Type", contentType);
  res.setHeader("Content-Length", payload.length);
  res.setHeader("Cache-Control", "no-store");
  res.setHeader("X-Content-Type-Options", "nosniff");
  if (close) res.setHeader("Connection", "close");
  res.end(payload);
}

/** Starts listening on `port` (0 = any free port) and resolves once it is bound. */
export async function startHttpService(port: number, opts: HttpServiceOptions): Promise<HttpService> {
  let draining = false;
  const { logger, identity } = opts;

  const json = (res: ServerResponse, status: number, body: Record<string, unknown>): void =>
    send(
      res,
      status,
      "application/json; charset=utf-8",
      JSON.stringify({ ...body, container: identity.container, host: identity.host }),
      draining,
    );

  async function route(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const rawUrl = req.url ?? "/";
    if (rawUrl.length > MAX_URL_LENGTH)
      throw new HttpError(414, `URL longer than ${MAX_URL_LENGTH} characters`);
    let url: URL;
    try {
      url = new URL(rawUrl, "http://service.invalid");
    } catch (err) {
      // The HTTP parser lets some absolute-form targets through that URL refuses ("http://[").
      throw new HttpError(400, "malformed request target", {}, { cause: err });
    }
    if (url.pathname === "/health") {
      const status = draining ? 503 : 200;
      json(res, status, { service: opts.name, status: draining ? "draining" : "ok" });
      return status;
    }
    const match = opts.routes.find((r) =>
      r.exact ? url.pathname === r.prefix : url.pathname.startsWith(r.prefix),
    );
    if (!match) throw new HttpError(404, `no such path: ${url.pathname}`);
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      throw new HttpError(405, `method ${req.method} not allowed; use GET`);
    }
    if (opts.auth && !match.open && !opts.auth.check(req.headers.authorization)) {
      res.setHeader("WWW-Authenticate", `Basic realm="${opts.name}", charset="UTF-8"`);
      throw new HttpError(401, "authentication required: send HTTP basic auth credentials");
    }
    let rest: string;
    try {
      rest = decodeURIComponent(url.pathname.slice(match.prefix.length));
    } catch (err) {
      throw new HttpError(400, "malformed percent-encoding in the path", {}, { cause: err });
    }
    const result = await match.handle(rest, url.searchParams, req);
    const status = result.status ?? 200;
    if ("json" in result) json(res, status, result.json);
    else {
      for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
      send(res, status, result.contentType, result.body, draining);
    }
    return status;
  }

  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    const started = process.hrtime.bigint();
    const finish = (status: number): void => {
      // Path and method only: the Authorization header is never logged.
      logger.info(
        {
          method: req.method,
          path: (req.url ?? "").slice(0, 300),
          status,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        "request",
      );
    };
    route(req, res).then(finish, (err: unknown) => {
      if (err instanceof HttpError) {
        // Failures of upstreams or of the service itself are worth a line; a caller's 4xx is not.
        if (err.status >= 500)
          logger.warn({ status: err.status, error: err.message, ...err.details }, "failed request");
        if (!res.headersSent) json(res, err.status, { error: err.message, ...err.details });
        finish(err.status);
        return;
      }
      logger.error({ err, path: (req.url ?? "").slice(0, 300) }, "unexpected error");
      if (!res.headersSent) json(res, 500, { error: "internal error" });
      else res.destroy();
      finish(500);
    });
  });
  server.on("clientError", (err, socket) => {
    // A malformed request line must not take the process down; answer 400 if the socket still listens.
    if (socket.writable)
      socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    else socket.destroy(err);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, opts.listenAddress, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;

  return {
    server,
    port: bound,
    get draining() {
      return draining;
    },
    async drainAndClose(drainMs: number): Promise<void> {
      if (draining) return;
      draining = true;
      logger.info({ drainMs }, "draining: still serving, closing keep-alive connections after each response");
      await new Promise((r) => setTimeout(r, drainMs));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // In-flight requests get a last few seconds; then the sockets go.
        setTimeout(() => server.closeAllConnections(), 5_000).unref();
      });
      logger.info("stopped");
    },
  };
}

/**
 * Runs a service as a process: logs the bound port, and on SIGTERM or SIGINT drains, then exits 0.
 * A second signal exits at once.
 */
export function runUntilSignalled(service: HttpService, drainMs: number, logger: Logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "stop requested");
    service.drainAndClose(drainMs).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
