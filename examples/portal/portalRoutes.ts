// The portal's routes: the page and its script (static), and /time/ and /calc/ answered by calling
// the time and calc services through service discovery.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Dispatcher } from "undici";
import { basicAuthHeader } from "../shared/basicAuth";
import { HttpError } from "../shared/httpError";
import type { Route, RouteResult } from "../shared/httpService";
import { callUpstream } from "./upstreamCall";

export interface PortalRoutesOptions {
  /** The resolver's dispatcher (createDispatcher with instanceHeaders), through which every call goes. */
  readonly dispatcher: Dispatcher;
  readonly timeService: string;
  readonly calcService: string;
  readonly auth: { readonly username: string; readonly password: string };
  /**
   * Whether answers say which instance answered: its address, port and SRV target, the attempts, and the
   * container and host the instance reported. They are internal (private addresses, instance ids), so only a
   * debugging setting shows them (PORTAL_SHOW_UPSTREAM). Default: false.
   */
  readonly showUpstream?: boolean;
  /** Folder of index.html and app.js; next to the code, in the repository and in the image alike. */
  readonly publicDir?: string;
}

/** The page may run only its own script and talk only to its own server (defence in depth behind textContent). */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; " +
  "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function staticFile(prefix: string, file: string, contentType: string, dir: string): Route {
  // Read once at start: a missing file is a start-up error, not a 500 later.
  const body = readFileSync(join(dir, file));
  const headers = { "Content-Security-Policy": CONTENT_SECURITY_POLICY };
  return { prefix, exact: true, open: true, handle: () => ({ body, contentType, headers }) };
}

export function portalRoutes(opts: PortalRoutesOptions): Route[] {
  const dir = opts.publicDir ?? join(__dirname, "public");
  const authorization = basicAuthHeader(opts.auth.username, opts.auth.password);

  const proxy = (label: "time" | "calc", service: string): Route => ({
    prefix: `/${label}/`,
    open: true,
    async handle(rest, query): Promise<RouteResult> {
      if (rest === "") throw new HttpError(400, `empty ${label === "time" ? "layout" : "formula"}`);
      const tz = label === "time" ? query.get("tz") : null;
      const path = `/${label}/${encodeURIComponent(rest)}${tz ? `?tz=${encodeURIComponent(tz)}` : ""}`;
      const answer = await callUpstream(opts.dispatcher, { label, service, path, authorization });
      const upstream = opts.showUpstream ? answer.upstream : undefined;
      if (answer.status === 401) {
        throw new HttpError(502, `service "${label}" refused the portal's credentials`, {
          service: label,
          upstream,
        });
      }
      if (answer.status >= 500) {
        const said = typeof answer.body.error === "string" ? `: ${answer.body.error}` : "";
        throw new HttpError(502, `service "${label}" is failing (answered ${answer.status}${said})`, {
          service: label,
          upstream,
        });
      }
      // 200 and 400 (a bad formula or layout) go to the page as the service said them.
      if (!opts.showUpstream) {
        const { container: _container, host: _host, ...said } = answer.body;
        return { status: answer.status, json: { service: label, answer: said } };
      }
      return {
        status: answer.status,
        json: { service: label, answer: answer.body, upstream, attempts: answer.attempts },
      };
    },
  });

  return [
    staticFile("/", "index.html", "text/html; charset=utf-8", dir),
    staticFile("/app.js", "app.js", "text/javascript; charset=utf-8", dir),
    proxy("time", opts.timeService),
    proxy("calc", opts.calcService),
  ];
}
