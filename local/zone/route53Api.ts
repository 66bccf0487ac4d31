// The HTTP side of the local zone: Route53's REST API subset under /2013-04-01/ and the admin
// endpoints under /_admin/ (fault injection and call counts).
import { randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { browserRefusal } from "./browserGuard";
import { DomainNameError, storedName } from "./dnsName";
import { type FaultInjector, parseFaultSettings } from "./faults";
import { hostedZoneNotPrivate, invalidInput, Route53Error } from "./route53Errors";
import { changeTokens } from "./route53Limits";
import { isRecordType } from "./route53Records";
import {
  changeInfoResponseXml,
  createHostedZoneXml,
  errorXml,
  getHostedZoneXml,
  hostedZoneCountXml,
  hostedZoneLimitXml,
  listHostedZonesByNameXml,
  listHostedZonesXml,
  listResourceRecordSetsXml,
  readChangeBatch,
  readCreateHostedZone,
} from "./route53Xml";
import { LOCAL_NAME_SERVERS, MAX_ITEMS_PER_PAGE, type ZoneStore } from "./zoneStore";

const API_PREFIX = "/2013-04-01/";
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface Route53ApiOptions {
  store: ZoneStore;
  faults: FaultInjector;
  /** Resolves once the store's current state is durable (no-op without a data file). */
  persist: () => Promise<void>;
  /** Where the API is reachable, for Location headers. */
  baseUrl: () => string;
  /** The bearer token every `/_admin/` request must carry (see adminRefusal). */
  adminToken: string;
}

interface Routed {
  action: string;
  run: () =>
    | Promise<{ status: number; body: string; headers?: Record<string, string> }>
    | { status: number; body: string; headers?: Record<string, string> };
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is read and dropped, so the client still gets the answer.
      if (size > MAX_BODY_BYTES) {
        chunks.length = 0;
        reject(
          new Route53Error("InvalidInput", `The request body is larger than ${MAX_BODY_BYTES} bytes`, 413),
        );
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/**
 * Why an `/_admin/` request is refused, or undefined when it may proceed. The admin endpoints change
 * how the zone answers (faults), so a web page open in a browser on the same machine must not reach
 * them: a cross-site request can neither carry an Authorization header nor a JSON content type
 * without a CORS preflight, which this server never grants.
 */
function adminRefusal(req: IncomingMessage, token: string): HttpProblem | undefined {
  const given = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
  const expected = Buffer.from(token);
  if (given === undefined || !timingSafeEqualText(given, expected)) {
    return new HttpProblem(
      401,
      "the admin endpoints need the header 'Authorization: Bearer <token>' with the token the zone printed at start",
    );
  }
  if (req.method === "POST" || req.method === "PUT") {
    const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
    if (type !== "application/json") {
      return new HttpProblem(
        415,
        `the admin endpoints take 'content-type: application/json', got '${type ?? ""}'`,
      );
    }
  }
  return undefined;
}

function timingSafeEqualText(given: string, expected: Buffer): boolean {
  const bytes = Buffer.from(given);
  return bytes.length === expected.length && timingSafeEqual(bytes, expected);
}

/** Route53 accepts ids with or without their `/hostedzone/` or `/change/` prefix. */
function bareId(segment: string): string {
  let id: string;
  try {
    id = decodeURIComponent(segment);
  } catch {
    throw invalidInput(`The id '${segment}' is not validly percent-encoded`);
  }
  return id.replace(/^\/?(hostedzone|change|delegationset)\//, "");
}

function maxItemsParam(raw: string | null, fallback: number, where: string): number {
  if (raw === null) return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) {
    throw invalidInput(`maxitems '${raw}' for ${where} must be a positive integer`);
  }
  return Number(raw);
}

function nameParam(raw: string, field: string): string {
  try {
    return storedName(raw);
  } catch (err) {
    if (err instanceof DomainNameError)
      throw invalidInput(`${field} '${raw}' is not a valid DNS name: it ${err.message}`);
    throw err;
  }
}

export class Route53Api {
  private readonly calls = new Map<string, number>();

  constructor(private readonly options: Route53ApiOptions) {}

  /** API calls received, by action, including those answered with an injected fault. */
  stats(): Record<string, number> {
    return Object.fromEntries(this.calls);
  }

  resetStats(): void {
    this.calls.clear();
  }

  /** The request listener for node:http. Never throws; every failure becomes an answer. */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.dispatch(req, res).catch((err: unknown) => {
      process.stderr.write(
        `local zone: unexpected error answering ${req.method} ${req.url}: ${String(err)}\n`,
      );
      if (!res.headersSent) {
        this.sendError(res, new Route53Error("InternalError", "An internal error occurred.", 500));
      } else {
        res.destroy();
      }
    });
  };

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refusal = browserRefusal(req);
    if (refusal !== undefined) {
      req.resume();
      this.sendError(res, new Route53Error("AccessDenied", refusal, 403));
      return;
    }
    const url = new URL(req.url ?? "/", "http://local");
    if (url.pathname.startsWith("/_admin/")) {
      await this.admin(req, res, url.pathname);
      return;
    }
    let routed: Routed;
    try {
      routed = this.route(req, url);
    } catch (err) {
      if (err instanceof Route53Error) {
        req.resume();
        this.sendError(res, err);
        return;
      }
      throw err;
    }
    this.calls.set(routed.action, (this.calls.get(routed.action) ?? 0) + 1);
    try {
      const fault = await this.options.faults.before(routed.action);
      if (fault) throw fault;
      const result = await routed.run();
      res.writeHead(result.status, {
        "content-type": "text/xml",
        "x-amzn-requestid": randomUUID(),
        ...result.headers,
      });
      res.end(result.body);
    } catch (err) {
      if (!(err instanceof Route53Error)) throw err;
      req.resume();
      this.sendError(res, err);
    }
  }

  private sendError(res: ServerResponse, err: Route53Error): void {
    const requestId = randomUUID();
    res.writeHead(err.status, { "content-type": "text/xml", "x-amzn-requestid": requestId });
    res.end(errorXml(err, requestId));
  }

  private route(req: IncomingMessage, url: URL): Routed {
    const { store } = this.options;
    const method = req.method ?? "GET";
    if (!url.pathname.startsWith(API_PREFIX)) {
      throw new Route53Error(
        "UnknownOperation",
        `The local zone serves the Route53 API under ${API_PREFIX}`,
        404,
      );
    }
    const parts = url.pathname.slice(API_PREFIX.length).split("/");
    if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
    const q = url.searchParams;
    const [resource, id, sub] = parts;
    const unsupported = (): never => {
      throw new Route53Error(
        "UnknownOperation",
        `The local zone does not implement ${method} ${url.pathname} (it serves a Route53 subset: hosted zones, record sets, changes, hosted zone limits)`,
        404,
      );
    };

    if (resource === "hostedzone" && id === undefined) {
      if (method === "POST") {
        return {
          action: "CreateHostedZone",
          run: async () => {
            const input = readCreateHostedZone(await readBody(req));
            if (input.privateZoneFlag && !input.vpc) {
              throw invalidInput(
                "A private hosted zone (PrivateZone true) requires a VPC with VPCId and VPCRegion",
              );
            }
            const { zone, change } = store.createHostedZone(input);
            await this.options.persist();
            return {
              status: 201,
              body: createHostedZoneXml(zone, change, LOCAL_NAME_SERVERS),
              headers: { location: `${this.options.baseUrl()}${API_PREFIX}hostedzone/${zone.id}` },
            };
          },
        };
      }
      if (method === "GET") {
        return {
          action: "ListHostedZones",
          run: () => {
            const maxItems = Math.min(maxItemsParam(q.get("maxitems"), 100, "ListHostedZones"), 100);
            const all = store.list();
            const marker = q.get("marker") ?? undefined;
            let start = 0;
            if (marker !== undefined) {
              start = all.findIndex((z) => z.id === bareId(marker));
              if (start < 0) throw invalidInput(`Marker '${marker}' does not name a hosted zone`);
            }
            const zones = all.slice(start, start + maxItems);
            return {
              status: 200,
              body: listHostedZonesXml({ zones, marker, next: all[start + maxItems], maxItems }),
            };
          },
        };
      }
      return unsupported();
    }

    if (resource === "hostedzone" && id !== undefined && sub === undefined) {
      const zoneId = bareId(id);
      if (method === "GET") {
        return {
          action: "GetHostedZone",
          run: () => ({ status: 200, body: getHostedZoneXml(store.get(zoneId), LOCAL_NAME_SERVERS) }),
        };
      }
      if (method === "DELETE") {
        return {
          action: "DeleteHostedZone",
          run: async () => {
            const change = store.deleteHostedZone(zoneId);
            await this.options.persist();
            return { status: 200, body: changeInfoResponseXml("DeleteHostedZoneResponse", change) };
          },
        };
      }
      return unsupported();
    }

    if (resource === "hostedzone" && id !== undefined && sub === "rrset" && parts.length === 3) {
      const zoneId = bareId(id);
      if (method === "POST") {
        return {
          action: "ChangeResourceRecordSets",
          run: async () => {
            const body = await readBody(req);
            store.get(zoneId);
            const { changes, comment } = readChangeBatch(body);
            const { faults } = this.options;
            const cost = changeTokens(changes);
            const throttled = faults.changeThrottle(cost);
            if (throttled) throw throttled;
            const change = store.changeResourceRecordSets(zoneId, changes, comment, faults.recordSetQuota());
            // Only an applied batch costs changes; a refused one changed no record.
            faults.spendChanges(cost);
            await this.options.persist();
            return { status: 200, body: changeInfoResponseXml("ChangeResourceRecordSetsResponse", change) };
          },
        };
      }
      if (method === "GET") {
        return {
          action: "ListResourceRecordSets",
          run: () => {
            store.get(zoneId);
            const name = q.get("name");
            const type = q.get("type");
            const identifier = q.get("identifier");
            if (type !== null && name === null) {
              throw invalidInput("StartRecordType requires StartRecordName");
            }
            if (identifier !== null && type === null) {
              throw invalidInput("StartRecordIdentifier requires StartRecordName and StartRecordType");
            }
            if (type !== null && !isRecordType(type)) throw invalidInput(`Invalid StartRecordType '${type}'`);
            const maxItems = maxItemsParam(q.get("maxitems"), MAX_ITEMS_PER_PAGE, "ListResourceRecordSets");
            const page = store.listResourceRecordSets(zoneId, {
              startName: name === null ? undefined : nameParam(name, "StartRecordName"),
              startType: type === null || !isRecordType(type) ? undefined : type,
              startIdentifier: identifier ?? undefined,
              maxItems,
            });
            return { status: 200, body: listResourceRecordSetsXml(page, maxItems) };
          },
        };
      }
      return unsupported();
    }

    if (resource === "hostedzonesbyname" && id === undefined && method === "GET") {
      return {
        action: "ListHostedZonesByName",
        run: () => {
          const dnsName = q.get("dnsname") ?? undefined;
          const hostedZoneId = q.get("hostedzoneid") ?? undefined;
          if (hostedZoneId !== undefined && dnsName === undefined) {
            throw invalidInput("HostedZoneId requires DNSName");
          }
          const maxItems = Math.min(maxItemsParam(q.get("maxitems"), 100, "ListHostedZonesByName"), 100);
          const page = store.listByName(
            dnsName === undefined ? undefined : nameParam(dnsName, "DNSName"),
            hostedZoneId === undefined ? undefined : bareId(hostedZoneId),
            maxItems,
          );
          return {
            status: 200,
            body: listHostedZonesByNameXml({
              ...page,
              dnsName,
              hostedZoneId,
              maxItems,
            }),
          };
        },
      };
    }

    if (resource === "hostedzonecount" && id === undefined && method === "GET") {
      return {
        action: "GetHostedZoneCount",
        run: () => ({ status: 200, body: hostedZoneCountXml(store.list().length) }),
      };
    }

    if (resource === "hostedzonelimit" && id !== undefined && sub !== undefined && parts.length === 3) {
      if (method !== "GET") return unsupported();
      const zoneId = bareId(id);
      return {
        action: "GetHostedZoneLimit",
        run: () => {
          const zone = store.get(zoneId);
          const limits = this.options.faults.hostedZoneLimits();
          if (sub === "MAX_RRSETS_BY_ZONE") {
            return {
              status: 200,
              body: hostedZoneLimitXml(sub, limits.maxRecordSets, zone.sets.size),
            };
          }
          if (sub === "MAX_VPCS_ASSOCIATED_BY_ZONE") {
            if (!zone.privateZone) throw hostedZoneNotPrivate();
            return { status: 200, body: hostedZoneLimitXml(sub, limits.maxVpcs, zone.vpc ? 1 : 0) };
          }
          throw invalidInput(
            `Invalid limit type '${sub}': it must be one of [MAX_RRSETS_BY_ZONE, MAX_VPCS_ASSOCIATED_BY_ZONE]`,
          );
        },
      };
    }

    if (resource === "change" && id !== undefined && sub === undefined && method === "GET") {
      return {
        action: "GetChange",
        run: () => ({
          status: 200,
          body: changeInfoResponseXml("GetChangeResponse", store.getChange(bareId(id))),
        }),
      };
    }
    return unsupported();
  }

  private async admin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const send = (status: number, value: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    try {
      const refusal = adminRefusal(req, this.options.adminToken);
      if (refusal) throw refusal;
      if (path === "/_admin/faults" && req.method === "GET") return send(200, this.options.faults.get());
      if (path === "/_admin/faults" && req.method === "POST") {
        const body = await readBody(req);
        let parsed: unknown;
        try {
          parsed = body.trim() === "" ? {} : JSON.parse(body);
        } catch (err) {
          throw new HttpProblem(400, `the body is not JSON: ${(err as Error).message}`);
        }
        try {
          this.options.faults.set(parseFaultSettings(parsed));
        } catch (err) {
          throw new HttpProblem(400, (err as Error).message);
        }
        return send(200, this.options.faults.get());
      }
      if (path === "/_admin/stats" && req.method === "GET") return send(200, this.stats());
      if (path === "/_admin/stats" && req.method === "DELETE") {
        this.resetStats();
        return send(200, this.stats());
      }
      throw new HttpProblem(
        404,
        `no admin endpoint ${req.method} ${path} (try GET/POST /_admin/faults, GET/DELETE /_admin/stats)`,
      );
    } catch (err) {
      req.resume();
      if (err instanceof HttpProblem) return send(err.status, { error: err.message });
      if (err instanceof Route53Error) return send(err.status, { error: err.message });
      throw err;
    }
  }
}
