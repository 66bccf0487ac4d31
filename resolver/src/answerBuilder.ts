// From an accepted DNS answer to the cache entry it makes: records of the asked type, or a negative answer with its
// cache time; for SRV, the endpoints with the addresses of their targets (from the additional section, else asked
// for), their AZs (asked for only once the resolver knows its own), the shortest TTL of the records they came
// from, and RFC 2782's "decidedly not available". The AZ questions never hold an answer up for long: see zoneWaitMs.
import { isIP } from "node:net";
import type { AddressAnswer, AnswerCache, CacheEntry } from "./answerCache";
import type { Interpretation, QueryType, SrvData, WireMessage, WireRecord } from "./dnsMessage";
import { MULTIVALUE_LIMIT } from "./dnsProtocol";
import {
  type FailedQuery,
  NotFoundError,
  type ResolverError,
  type ServerAttempt,
  ServiceUnavailableError,
} from "./errors";
import { type Endpoint, EndpointSet } from "./srvSelect";
import { azIdFromTxt, type ZoneSettings } from "./zoneAware";

/** The AZ a target's TXT answer gave, with its TTL. */
interface TargetZone {
  readonly azId: string;
  readonly ttl: number;
}

/** An answer a server gave to one question, with every server asked on the way. */
export interface Answer {
  readonly interpretation: Exclude<Interpretation, { kind: "failure" }>;
  readonly message: WireMessage;
  readonly attempts: ServerAttempt[];
}

/** A cached error, made anew for each caller (its stack is theirs). */
export function copyError(error: ResolverError): ResolverError {
  const options = { query: error.query, attempts: error.attempts, cause: error.cause };
  if (error instanceof NotFoundError) return new NotFoundError(error.reason, options);
  if (error instanceof ServiceUnavailableError) return new ServiceUnavailableError(options);
  return error;
}

/**
 * Makes cache entries from answers; the addresses of SRV targets the answer lacks come from `lookupAddress`, and
 * while `zone` is set (the resolver knows its AZ), every target's AZ from `lookupZone`.
 */
export class AnswerBuilder {
  /** Same-AZ-first settings, once the resolver knows its AZ: answers built from then on ask for their targets' AZs. */
  zone: ZoneSettings | undefined = undefined;

  constructor(
    private readonly cache: AnswerCache,
    /** Upper bound on any cached TTL, in seconds. */
    private readonly maxTtl: number,
    /** Upper bound on negative caching, in seconds. */
    private readonly maxNegativeTtl: number,
    /** The A answer for a host: from the cache when servable, else from the network. */
    private readonly lookupAddress: (host: string) => Promise<CacheEntry>,
    /** The TXT answer for a host, the same way. */
    private readonly lookupZone: (host: string) => Promise<CacheEntry>,
    /**
     * How long after the SRV answer its targets' AZ answers are waited for (and no longer than their addresses,
     * when those are being asked for). A late one is an unknown AZ for this answer; it still lands in the cache
     * for the next. Same AZ first saves money and latency, but is never worth holding a lookup up for: a TXT
     * question that times out would otherwise cost every uncached SRV lookup the whole DNS timeout.
     */
    private readonly zoneWaitMs: number,
  ) {}

  /** The cache entry an answer makes; a promise while targets it gave no address for are looked up. */
  entryFor(key: string, type: QueryType, name: string, answer: Answer): CacheEntry | Promise<CacheEntry> {
    const query: FailedQuery = { name, type };
    const interpretation = answer.interpretation;
    if (interpretation.kind === "negative") {
      const error = new NotFoundError(interpretation.reason, { query, attempts: answer.attempts });
      const ttl = Math.min(interpretation.negativeTtl ?? 0, this.maxNegativeTtl);
      return this.cache.entry(key, query, ttl, undefined, undefined, error);
    }
    const records = interpretation.records;
    let setTtl = this.maxTtl;
    for (const rr of records) setTtl = Math.min(setTtl, rr.ttl);
    if (type === "A") {
      const address = records[0]!.data as string;
      return this.cache.entry(key, query, setTtl, undefined, { address, ttl: setTtl }, undefined);
    }
    if (type === "TXT") {
      const values = records.map((rr) => rr.data as readonly string[]);
      return this.cache.entry(key, query, setTtl, undefined, undefined, undefined, azIdFromTxt(values));
    }
    return this.srvEntry(key, query, answer, records, setTtl);
  }

  private srvEntry(
    key: string,
    query: FailedQuery,
    answer: Answer,
    records: WireRecord[],
    setTtl: number,
  ): CacheEntry | Promise<CacheEntry> {
    const usable: SrvData[] = [];
    for (const rr of records) {
      const data = rr.data as SrvData;
      if (data.target !== "") usable.push(data);
    }
    if (usable.length === 0) {
      // RFC 2782: a lone SRV record with target "." means the service is decidedly not available.
      const error = new ServiceUnavailableError({ query, attempts: answer.attempts });
      return this.cache.entry(key, query, setTtl, undefined, undefined, error);
    }
    const addresses = new Map<string, AddressAnswer | undefined>();
    for (const srv of usable) addresses.set(srv.target, undefined);
    // Targets' addresses from the additional section save a round trip; others are looked up.
    for (const rr of answer.message.additionals) {
      if (rr.type !== "A" && rr.type !== "AAAA") continue;
      if (!addresses.has(rr.name)) continue;
      const current = addresses.get(rr.name);
      if (current === undefined || (rr.type === "A" && isIP(current.address) === 6)) {
        addresses.set(rr.name, { address: rr.data as string, ttl: rr.ttl });
      }
    }
    const missing: string[] = [];
    for (const [host, address] of addresses) if (address === undefined) missing.push(host);
    // As many records as a Route53 multivalue answer holds: maybe a random few of a larger set (zoneAware.ts).
    const sampled = records.length === MULTIVALUE_LIMIT;
    const zone = this.zone;
    if (zone !== undefined) {
      // The AZs are asked alongside the missing addresses: one more round trip at most, and only here. The
      // entry is built from the AZs known when the wait ends; later ones fill `zones` for no one.
      const zones = new Map<string, TargetZone>();
      return Promise.all([
        missing.length === 0 ? undefined : this.lookUpTargets(missing, addresses),
        settledWithin(this.lookUpZones([...addresses.keys()], zones), this.zoneWaitMs),
      ]).then(([firstError]) =>
        this.endpointsEntry(key, query, usable, addresses, setTtl, firstError, sampled, zone, zones),
      );
    }
    if (missing.length === 0)
      return this.endpointsEntry(key, query, usable, addresses, setTtl, undefined, sampled);
    return this.lookUpTargets(missing, addresses).then((firstError) =>
      this.endpointsEntry(key, query, usable, addresses, setTtl, firstError, sampled),
    );
  }

  /**
   * The entry of a target's TXT question that every server failed (a timeout, a server failure) with no stale
   * answer to serve: an unknown AZ, kept as long as a negative answer may be, so that the refreshes of the SRV
   * answers naming the target do not ask again at once, each waiting out zoneWaitMs for nothing.
   */
  unknownZone(key: string, name: string): CacheEntry {
    return this.cache.entry(key, { name, type: "TXT" }, this.maxNegativeTtl, undefined, undefined, undefined);
  }

  /**
   * Puts the AZ of each target that has one into `zones` as its answer comes. Never fails: a target whose TXT
   * question fails in any way (no such record, a server failure, a timeout) is in an unknown AZ, which turns
   * same AZ first off and nothing else.
   */
  private async lookUpZones(hosts: string[], zones: Map<string, TargetZone>): Promise<void> {
    await Promise.all(
      hosts.map(async (host) => {
        try {
          const entry = await this.lookupZone(host);
          if (entry.azId !== undefined) zones.set(host, { azId: entry.azId, ttl: entry.ttl });
        } catch {
          // Unknown AZ: see above.
        }
      }),
    );
  }

  /** A lookups for targets the answer gave no address for; returns the first not-found error. */
  private async lookUpTargets(
    missing: string[],
    addresses: Map<string, AddressAnswer | undefined>,
  ): Promise<unknown> {
    let firstError: unknown;
    await Promise.all(
      missing.map(async (host) => {
        try {
          const entry = await this.lookupAddress(host);
          if (entry.address !== undefined) addresses.set(host, entry.address);
          else firstError ??= copyError(entry.error!);
        } catch (err) {
          // A target that does not exist only drops its endpoints; a failing server fails the lookup.
          if (!(err instanceof NotFoundError)) throw err;
          firstError ??= err;
        }
      }),
    );
    return firstError;
  }

  private endpointsEntry(
    key: string,
    query: FailedQuery,
    usable: SrvData[],
    addresses: Map<string, AddressAnswer | undefined>,
    setTtl: number,
    firstError: unknown,
    sampled: boolean,
    zone?: ZoneSettings,
    zones?: Map<string, TargetZone>,
  ): CacheEntry {
    const endpoints: Endpoint[] = [];
    let ttl = setTtl;
    for (const srv of usable) {
      const address = addresses.get(srv.target);
      if (address === undefined) continue;
      // A known AZ bounds the endpoint like its address does; an unknown one bounds nothing, so a target
      // without the record is not asked about more often than its SRV set is.
      const targetZone = zones?.get(srv.target);
      const endpointTtl = Math.min(setTtl, address.ttl, targetZone?.ttl ?? setTtl);
      if (endpointTtl < ttl) ttl = endpointTtl;
      const endpoint: Endpoint = {
        host: srv.target,
        address: address.address,
        port: srv.port,
        priority: srv.priority,
        weight: srv.weight,
        ttl: endpointTtl,
      };
      endpoints.push(targetZone === undefined ? endpoint : { ...endpoint, azId: targetZone.azId });
    }
    if (endpoints.length === 0) throw firstError ?? new NotFoundError("NODATA", { query });
    return this.cache.entry(key, query, ttl, new EndpointSet(endpoints, zone, sampled), undefined, undefined);
  }
}

/**
 * Settles when `work` does or after `ms`, whichever comes first; never rejects (`work` must not). The timer
 * keeps no process alive.
 */
function settledWithin(work: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    work.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
