// The resolver: SRV lookups across nameservers, rotating to the one that answered last; its answers kept in a
// TTL cache that serves stale answers when every server fails (answerCache.ts) and made into endpoints by
// answerBuilder.ts; RFC 2782 selection, and failover between endpoints.
import { type Answer, AnswerBuilder, copyError } from "./answerBuilder";
import { AnswerCache, type CacheEntry } from "./answerCache";
import type { AvailabilityZoneResult } from "./availabilityZone";
import { isConnectionError } from "./connectionErrors";
import { type LookupMessage, lookupChannel } from "./diagnostics";
import { interpret, type QueryType } from "./dnsMessage";
import { exchange, UdpSocketSource } from "./dnsTransport";
import { EndpointHealth } from "./endpointHealth";
import { NotFoundError, type ServerAttempt, ServerFailureError, TimeoutError } from "./errors";
import { type Nameserver, parseNameserver, systemNameservers } from "./nameservers";
import {
  type Outcome,
  type OutlierDetectionOptions,
  OutlierDetector,
  type OutlierStats,
  outlierSettings,
} from "./outlierDetection";
import { assertValidName, DEFAULT_DOMAIN, expandServiceName, normalizeDomain } from "./serviceName";
import { type AvoidTest, type Endpoint, type EndpointSet, endpointKey, type RandomSource } from "./srvSelect";
import { OwnZone, type ZoneAwareOptions, zoneAwareProblems } from "./zoneAware";

/** Settings of a {@link Resolver}. Every field is optional. */
export interface ResolverOptions {
  /** Nameservers as `ip`, `ip:port` or `[ipv6]:port`. Default: the `nameserver` lines of /etc/resolv.conf. */
  readonly servers?: readonly string[];
  /** Zone that short names expand into: `calc` → `_calc._tcp.<domain>`. Default `servicediscovery.internal`. */
  readonly domain?: string;
  /** How long to wait for one server to answer one query. Default 1000 ms. */
  readonly timeoutMs?: number;
  /** Rounds through the server list before giving up. Default 2. */
  readonly attempts?: number;
  /** Bound of the cache (SRV answers, addresses and negative answers together). 0 disables caching. Default 10,000. */
  readonly maxCacheEntries?: number;
  /** How long past its TTL an answer may be served when every server fails (RFC 8767). Default 3600 s. */
  readonly maxStaleSeconds?: number;
  /** While serving stale, ask the servers again at most this often (in the background). Default 1000 ms. */
  readonly staleRefreshIntervalMs?: number;
  /** Upper bound on any cached TTL. Default 86,400 s. */
  readonly maxTtlSeconds?: number;
  /**
   * Upper bound on negative caching (RFC 2308 caches by the SOA minimum, which is often a day):
   * kept short so a service that starts is found soon. Also how long a target's TXT (AZ) question that every
   * server failed counts as an unknown AZ. Default 5 s.
   */
  readonly maxNegativeTtlSeconds?: number;
  /** A hit after this fraction of the TTL refreshes the answer in the background. Default 0.8. */
  readonly prefetchRatio?: number;
  /** First back-off of an endpoint reported failed; doubles on each repeated failure. Default 1000 ms. */
  readonly failureBackoffMs?: number;
  /** Longest back-off of a failed endpoint. Default 30,000 ms. */
  readonly maxFailureBackoffMs?: number;
  /** Random numbers in [0, 1) for selection. Default Math.random. Inject a seeded one in tests. */
  readonly random?: RandomSource;
  /** Clock in milliseconds. Default Date.now. Inject one in tests to move time. */
  readonly now?: () => number;
  /**
   * Outlier detection: instances that keep answering 5xx, or keep refusing connections, are ejected for a while,
   * shared by every dispatcher and agent on this resolver (see outlierDetection.ts). `false` turns it off.
   * Default on, with Envoy's defaults.
   */
  readonly outlierDetection?: false | OutlierDetectionOptions;
  /**
   * Same AZ first: the resolver learns its AZ in the background (the `azId` option, the ECS task metadata
   * endpoint, IMDSv2) and, once it knows it, reads each SRV target's `az-id=` TXT record and prefers instances in
   * its own AZ while they have the capacity (see zoneAware.ts). `false` turns it off. Default on.
   */
  readonly zoneAware?: boolean | ZoneAwareOptions;
}

/** What {@link Resolver.stats} returns: plain data. */
export interface ResolverStats {
  readonly outlierDetection: OutlierStats;
}

/** Settings of {@link Resolver.withEndpoint}. */
export interface WithEndpointOptions {
  /** How many different endpoints to try at most. Default 3. */
  readonly attempts?: number;
  /** Which errors of the callback mean "try another endpoint". Default {@link isConnectionError}. */
  readonly isRetryable?: (err: unknown) => boolean;
}

function checkNumber(
  problems: string[],
  field: string,
  value: number | undefined,
  min: number,
  integer: boolean,
): void {
  if (value === undefined) return;
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value < min ||
    (integer && !Number.isInteger(value))
  ) {
    problems.push(
      `[${field}] must be ${integer ? "an integer" : "a number"} >= ${min}, got ${String(value)}`,
    );
  }
}

/**
 * Looks up services by DNS SRV records and hands out endpoints.
 *
 * @example
 * ```ts
 * const resolver = new Resolver({ servers: ["127.0.0.1:5353"] });
 * const { address, port } = await resolver.pick("calc"); // _calc._tcp.servicediscovery.internal
 * ```
 */
export class Resolver {
  /** Nameservers in the order they are tried. */
  readonly servers: readonly Nameserver[];
  /** Zone short names expand into. */
  readonly domain: string;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly random: RandomSource;
  private readonly now: () => number;
  private readonly cache: AnswerCache;
  private readonly answers: AnswerBuilder;
  private readonly inflight = new Map<string, Promise<CacheEntry>>();
  /** What callers wrote → the expanded name; bounded like the cache. */
  private readonly names = new Map<string, string>();
  /** Host names callers asked about → the cache key of their A answer; bounded like `names`. */
  private readonly addressKeys = new Map<string, string>();
  private readonly maxNames: number;
  private readonly health: EndpointHealth;
  /** Passive health from what requests saw; undefined when turned off. */
  private readonly outliers: OutlierDetector | undefined;
  /** Index of the server that answered last: the next query starts there. */
  private preferred = 0;
  private readonly sockets = new UdpSocketSource();
  private readonly ownZone: OwnZone;

  constructor(options: ResolverOptions = {}) {
    const problems: string[] = [];
    checkNumber(problems, "timeoutMs", options.timeoutMs, 1, false);
    checkNumber(problems, "attempts", options.attempts, 1, true);
    checkNumber(problems, "maxCacheEntries", options.maxCacheEntries, 0, true);
    checkNumber(problems, "maxStaleSeconds", options.maxStaleSeconds, 0, false);
    checkNumber(problems, "staleRefreshIntervalMs", options.staleRefreshIntervalMs, 0, false);
    checkNumber(problems, "maxTtlSeconds", options.maxTtlSeconds, 0, false);
    checkNumber(problems, "maxNegativeTtlSeconds", options.maxNegativeTtlSeconds, 0, false);
    checkNumber(problems, "failureBackoffMs", options.failureBackoffMs, 0, false);
    checkNumber(problems, "maxFailureBackoffMs", options.maxFailureBackoffMs, 0, false);
    if (options.prefetchRatio !== undefined && !(options.prefetchRatio > 0 && options.prefetchRatio <= 1)) {
      problems.push(`[prefetchRatio] must be in (0, 1], got ${String(options.prefetchRatio)}`);
    }
    let servers: Nameserver[] = [];
    try {
      servers = options.servers ? options.servers.map(parseNameserver) : systemNameservers();
      if (servers.length === 0) problems.push("[servers] must name at least one nameserver");
    } catch (err) {
      problems.push(`[servers] ${(err as Error).message}`);
    }
    let domain = DEFAULT_DOMAIN;
    try {
      if (options.domain !== undefined) domain = normalizeDomain(options.domain);
    } catch (err) {
      problems.push(`[domain] ${(err as Error).message}`);
    }
    const outliers = outlierSettings(options.outlierDetection, problems);
    problems.push(...zoneAwareProblems(options.zoneAware));
    if (problems.length > 0) throw new TypeError(`Invalid resolver options:\n - ${problems.join("\n - ")}`);

    this.servers = servers;
    this.domain = domain;
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.attempts = options.attempts ?? 2;
    const maxEntries = options.maxCacheEntries ?? 10_000;
    this.maxNames = Math.max(1024, maxEntries);
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.cache = new AnswerCache({
      maxEntries,
      maxStaleMs: (options.maxStaleSeconds ?? 3600) * 1000,
      staleRefreshIntervalMs: options.staleRefreshIntervalMs ?? 1000,
      prefetchRatio: options.prefetchRatio ?? 0.8,
      now: this.now,
    });
    this.answers = new AnswerBuilder(
      this.cache,
      options.maxTtlSeconds ?? 86_400,
      options.maxNegativeTtlSeconds ?? 5,
      (host) => this.lookup(`A ${host}`, "A", host),
      (host) => this.lookup(`TXT ${host}`, "TXT", host),
      // A quarter of one server's timeout: a server answering the SRV and A questions in time answers the TXT
      // ones, asked with them, about as fast; 250 ms by default, well within the whole DNS timeout (2 s).
      this.timeoutMs / 4,
    );
    this.health = new EndpointHealth(
      options.failureBackoffMs ?? 1000,
      options.maxFailureBackoffMs ?? 30_000,
      this.now,
    );
    if (outliers !== undefined) {
      this.outliers = new OutlierDetector(outliers, {
        setOf: (service) => this.cache.get(service)?.set,
        inBackoff: (key, now) => this.health.isAvoided(key, now),
        now: this.now,
      });
    }
    this.ownZone = new OwnZone(options.zoneAware, (zone) => {
      this.answers.zone = zone;
    });
  }

  /**
   * The resolver's own AZ and where it learned it (`{ azId, source }`), or why no source gave it
   * (`{ azId: undefined, tried }`); undefined while it is being found, and with `zoneAware: false`.
   *
   * @example
   * ```ts
   * const zone = await resolver.whenAvailabilityZoneKnown();
   * console.log(resolver.availabilityZone); // { azId: "use1-az4", source: "ecs-task-metadata" }
   * ```
   */
  get availabilityZone(): AvailabilityZoneResult | undefined {
    return this.ownZone.result;
  }

  /**
   * Settles once the resolver has found its AZ or found that it cannot (undefined with `zoneAware: false`).
   * Lookups never wait for it; a caller that wants its first picks to prefer its AZ may.
   */
  whenAvailabilityZoneKnown(): Promise<AvailabilityZoneResult | undefined> {
    return this.ownZone.known;
  }

  /** Number of answers in the cache (SRV, address and negative). */
  get cacheSize(): number {
    return this.cache.size;
  }

  /**
   * Every endpoint of a service, in RFC 2782 order (lowest priority first, weighted random
   * within a priority, weight-0 last); endpoints in their failure back-off come after the rest.
   *
   * @example
   * ```ts
   * for (const e of await resolver.resolve("_calc._tcp")) console.log(e.address, e.port, e.priority, e.weight);
   * ```
   */
  async resolve(name: string): Promise<Endpoint[]> {
    const key = this.keyOf(name);
    const entry = await this.lookup(key, "SRV");
    const set = entry.set;
    if (set === undefined) throw copyError(entry.error!);
    const ordered = set.order(this.random);
    const avoid = this.avoidance(key, set, this.now());
    if (avoid === undefined) return ordered;
    const good = ordered.filter((e) => !avoid(endpointKey(e)));
    return good.length === ordered.length ? ordered : good.concat(ordered.filter((e) => !good.includes(e)));
  }

  /**
   * One endpoint by RFC 2782: lowest priority, weighted random within it, skipping endpoints in
   * their failure back-off unless nothing else is left. Answers from the cache without touching
   * the network when it can (see {@link pickCached}).
   *
   * @example
   * ```ts
   * const e = await resolver.pick("calc");
   * const res = await fetch(`http://${e.address}:${e.port}/add?a=1&b=2`);
   * ```
   */
  async pick(name: string): Promise<Endpoint> {
    const cached = this.pickCached(name);
    if (cached !== undefined) return cached;
    const key = this.keyOf(name);
    const entry = await this.lookup(key, "SRV");
    if (entry.set === undefined) throw copyError(entry.error!);
    return this.select(key, entry.set, this.now());
  }

  /**
   * The synchronous fast path of {@link pick}: an endpoint when the name's answer is in the cache
   * and may be served (fresh, or stale while the servers are failing), undefined when a lookup is
   * needed. Throws the cached NotFoundError / ServiceUnavailableError of a cached negative answer.
   * A hit late in the TTL starts a background refresh, so callers that keep asking never wait.
   *
   * @example
   * ```ts
   * const e = resolver.pickCached("calc") ?? (await resolver.pick("calc"));
   * ```
   */
  pickCached(name: string): Endpoint | undefined {
    let key = this.names.get(name);
    if (key === undefined) key = this.keyOf(name);
    const entry = this.cache.get(key);
    if (entry === undefined) return undefined;
    const now = this.now();
    if (now >= entry.prefetchAt && !this.servable(entry, now)) return undefined;
    const set = entry.set;
    if (set === undefined) throw copyError(entry.error!);
    if (this.health.anyAvoided(now) || this.outliers?.anyEjected(now)) return this.select(key, set, now);
    return set.pick(this.random);
  }

  /**
   * Whether `host` (a fully qualified name) exists in DNS: its A question is answered with records, or with
   * NODATA (the name holds other records, an AAAA or a CNAME or a TXT, or names below it); false only for
   * NXDOMAIN. The answer is cached like any other (a negative one by the SOA minimum, within
   * `maxNegativeTtlSeconds`), so a name asked about again is answered by {@link nameExistsCached}. A server
   * failure is thrown as the lookup's error: nothing is assumed about a name the servers could not answer for.
   *
   * @example
   * ```ts
   * if (await resolver.nameExists("vault.servicediscovery.internal")) console.log("a host of the zone");
   * ```
   */
  async nameExists(host: string): Promise<boolean> {
    const key = this.addressKeyOf(host);
    return existsFrom(await this.lookup(key, "A", key.slice(2)));
  }

  /**
   * The synchronous fast path of {@link nameExists}: true or false when the name's A answer is cached and may
   * be served (a late hit refreshes it in the background, as {@link pickCached} does), undefined when a lookup
   * is needed.
   *
   * @example
   * ```ts
   * const exists = resolver.nameExistsCached(host) ?? (await resolver.nameExists(host));
   * ```
   */
  nameExistsCached(host: string): boolean | undefined {
    let key = this.addressKeys.get(host);
    if (key === undefined) key = this.addressKeyOf(host);
    const entry = this.cache.get(key);
    if (entry === undefined) return undefined;
    const now = this.now();
    if (now >= entry.prefetchAt && !this.servable(entry, now)) return undefined;
    return existsFrom(entry);
  }

  /**
   * Reports that an endpoint failed: pick and withEndpoint skip it for a back-off (1 s, doubling
   * on each repeated failure up to 30 s by default) unless nothing else is left.
   *
   * @example
   * ```ts
   * const e = await resolver.pick("calc");
   * try { await callCalc(e); } catch (err) { resolver.markFailed(e); throw err; }
   * ```
   */
  markFailed(endpoint: Pick<Endpoint, "address" | "port">): void {
    this.health.markFailed(endpointKey(endpoint));
  }

  /**
   * Reports that an endpoint worked: its failure back-off, if any, ends.
   *
   * @example
   * ```ts
   * resolver.markSucceeded(endpoint);
   * ```
   */
  markSucceeded(endpoint: Pick<Endpoint, "address" | "port">): void {
    // Called once per response by the dispatcher: no key is built while nothing has failed.
    if (!this.health.empty) this.health.markSucceeded(endpointKey(endpoint));
  }

  /**
   * Reports how a request to an instance of a service went, for outlier detection: its HTTP status, or
   * `"connection-failed"` (refused, reset, timed out), or `"connected"`. The dispatcher and the agent report every
   * request of theirs; callers of {@link pick} may report theirs. Does nothing when outlier detection is off.
   *
   * @example
   * ```ts
   * const e = await resolver.pick("calc");
   * const res = await fetch(`http://${e.address}:${e.port}/add?a=1&b=2`);
   * resolver.reportOutcome("calc", e, res.status);
   * ```
   */
  reportOutcome(name: string, endpoint: Endpoint, outcome: Outcome): void {
    const outliers = this.outliers;
    // Called once per response by the dispatcher: a success with nothing on record looks no name up.
    if (outliers === undefined || outliers.ignores(outcome)) return;
    outliers.report(this.keyOf(name), endpoint, outcome);
  }

  /**
   * What the resolver knows of its instances, as plain data: per service with an instance on record, each
   * instance's consecutive failures, whether and until when it is ejected and how often it was, and whether the
   * priority group its picks use is in panic (and which); totals of ejections.
   *
   * @example
   * ```ts
   * for (const s of resolver.stats().outlierDetection.services) console.log(s.service, s.ejected, s.panic);
   * ```
   */
  stats(): ResolverStats {
    const off: OutlierStats = {
      enabled: false,
      services: [],
      totals: { ejections: 0, returns: 0, ejectedNow: 0, refusedByMaxShare: 0 },
    };
    return { outlierDetection: this.outliers?.stats() ?? off };
  }

  /**
   * Picks like {@link pick}, but never an endpoint whose `address:port` is in `tried`; undefined when
   * only those are left. What a caller trying one instance after another (the fetch dispatcher) needs.
   *
   * @example
   * ```ts
   * const next = await resolver.pickExcept("calc", new Set(["10.0.0.5:32768"]));
   * ```
   */
  async pickExcept(name: string, tried: ReadonlySet<string>): Promise<Endpoint | undefined> {
    if (tried.size === 0) return this.pick(name);
    const key = this.keyOf(name);
    const entry = await this.lookup(key, "SRV");
    const set = entry.set;
    if (set === undefined) throw copyError(entry.error!);
    return this.pickUntried(key, set, tried);
  }

  /**
   * Runs `fn` against a picked endpoint; when it fails with a connection error, marks that
   * endpoint failed and tries a different one, up to `attempts` endpoints. Other errors, and the
   * last connection error, are rethrown unchanged.
   *
   * @example
   * ```ts
   * const body = await resolver.withEndpoint("calc", async ({ address, port }) => {
   *   const res = await fetch(`http://${address}:${port}/add?a=1&b=2`);
   *   return res.text();
   * });
   * ```
   */
  async withEndpoint<T>(
    name: string,
    fn: (endpoint: Endpoint) => Promise<T> | T,
    options: WithEndpointOptions = {},
  ): Promise<T> {
    const attempts = options.attempts ?? 3;
    if (!Number.isInteger(attempts) || attempts < 1) {
      throw new TypeError(`[attempts] must be an integer >= 1, got ${String(attempts)}`);
    }
    const isRetryable = options.isRetryable ?? isConnectionError;
    const key = this.keyOf(name);
    const tried = new Set<string>();
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const entry = await this.lookup(key, "SRV");
      const set = entry.set;
      if (set === undefined) throw copyError(entry.error!);
      const endpoint = this.pickUntried(key, set, tried);
      if (endpoint === undefined) break;
      const endpointId = endpointKey(endpoint);
      tried.add(endpointId);
      try {
        const result = await fn(endpoint);
        this.health.markSucceeded(endpointId);
        this.outliers?.report(key, endpoint, "connected");
        return result;
      } catch (err) {
        if (!isRetryable(err)) throw err;
        this.health.markFailed(endpointId);
        if (isConnectionError(err)) this.outliers?.report(key, endpoint, "connection-failed");
        lastError = err;
      }
    }
    throw lastError;
  }

  /**
   * Forgets every cached answer (failure back-offs are kept).
   *
   * @example
   * ```ts
   * resolver.clearCache();
   * ```
   */
  clearCache(): void {
    this.cache.clear();
  }

  /**
   * Releases the spare UDP sockets kept ready for the next queries (they never keep the process
   * alive). The resolver still works afterwards, making sockets on demand.
   *
   * @example
   * ```ts
   * resolver.close();
   * ```
   */
  close(): void {
    this.sockets.close();
  }

  private keyOf(name: string): string {
    let key = this.names.get(name);
    if (key === undefined) {
      key = expandServiceName(name, this.domain);
      if (this.names.size >= this.maxNames) this.names.clear();
      this.names.set(name, key);
    }
    return key;
  }

  /** `A <name>`: the cache key the address of a host is kept under (an SRV target's too). */
  private addressKeyOf(host: string): string {
    let key = this.addressKeys.get(host);
    if (key === undefined) {
      if (typeof host !== "string") throw new TypeError(`host name must be a string, got ${typeof host}`);
      const name = host.trim().toLowerCase().replace(/\.$/, "");
      assertValidName(name, host);
      key = `A ${name}`;
      if (this.addressKeys.size >= this.maxNames) this.addressKeys.clear();
      this.addressKeys.set(host, key);
    }
    return key;
  }

  private select(service: string, set: EndpointSet, now: number): Endpoint {
    const avoid = this.avoidance(service, set, now);
    if (avoid === undefined) return set.pick(this.random);
    return set.pickAvoiding(this.random, avoid) ?? set.pick(this.random);
  }

  /** Never one in `tried`; others in their back-off or ejected only when no other is left. */
  private pickUntried(service: string, set: EndpointSet, tried: ReadonlySet<string>): Endpoint | undefined {
    const avoid = this.avoidance(service, set, this.now());
    return (
      (avoid && set.pickAvoiding(this.random, (k) => tried.has(k) || avoid(k))) ??
      set.pickAvoiding(this.random, (k) => tried.has(k))
    );
  }

  /**
   * Which instances of a service a pick passes over: those in their connection back-off and, with outlier
   * detection, the ejected ones, unless too few of the priority group the pick would use are left (panic: then
   * none of that group). Undefined when none.
   */
  private avoidance(service: string, set: EndpointSet, now: number): AvoidTest | undefined {
    const health = this.health;
    const backoff = health.anyAvoided(now) ? (k: string) => health.isAvoided(k, now) : undefined;
    if (this.outliers === undefined) return backoff;
    return this.outliers.avoidance(service, set, backoff, now);
  }

  /** Whether an entry past its prefetch point may be served now (see AnswerCache), refreshing it in the background. */
  private servable(entry: CacheEntry, now: number): boolean {
    if (!this.cache.servable(entry, now)) return false;
    this.refreshInBackground(entry, now);
    return true;
  }

  private refreshInBackground(entry: CacheEntry, now: number): void {
    if (entry.refreshing || this.inflight.has(entry.key) || !this.cache.refreshDue(entry, now)) return;
    entry.refreshing = true;
    const done = (): void => {
      entry.refreshing = false;
    };
    this.fetch(entry.key, entry.query.type as QueryType, entry.query.name).then(done, done);
  }

  /** The answer for `key` from the cache when servable, else from the network (coalesced). */
  private lookup(key: string, type: QueryType, name = key): Promise<CacheEntry> {
    const entry = this.cache.get(key);
    if (entry !== undefined) {
      const now = this.now();
      if (now < entry.prefetchAt || this.servable(entry, now)) return Promise.resolve(entry);
    }
    return this.fetch(key, type, name);
  }

  /** Asks the network, sharing one query among concurrent callers of the same key. */
  private fetch(key: string, type: QueryType, name: string): Promise<CacheEntry> {
    let running = this.inflight.get(key);
    if (running === undefined) {
      running = this.load(key, type, name);
      this.inflight.set(key, running);
    }
    return running;
  }

  /**
   * Asks the network for `key` and keeps what comes back: in the cache, or, when every server fails, the
   * stale answer is served instead (RFC 8767). One async function from the answer to the cache: each
   * handler chained on instead would be one more turn of the microtask queue on every uncached lookup.
   */
  private async load(key: string, type: QueryType, name: string): Promise<CacheEntry> {
    try {
      const answer = await this.ask(name, type);
      let entry = this.answers.entryFor(key, type, name, answer);
      if (entry instanceof Promise) entry = await entry;
      this.cache.keep(entry);
      if (type === "SRV" && entry.set !== undefined) this.outliers?.sawAnswer(key, entry.set, this.now());
      return entry;
    } catch (err) {
      const stale = this.cache.staleOnFailure(key, err);
      if (stale !== undefined) return stale;
      if (type === "TXT") {
        // A target's AZ the servers cannot give now is unknown for a while, not an error (answerBuilder.ts).
        const unknown = this.answers.unknownZone(key, name);
        this.cache.keep(unknown);
        return unknown;
      }
      throw err;
    } finally {
      this.inflight.delete(key);
    }
  }

  /**
   * One question across the servers: each round tries every server once, starting with the one
   * that answered last; a timeout, SERVFAIL, REFUSED or any other error code moves to the next.
   */
  private async ask(name: string, type: QueryType): Promise<Answer> {
    const attempts: ServerAttempt[] = [];
    const servers = this.servers;
    // Timed only for a listener (-1: none at the start, so none is told a duration it did not see begin).
    const started = lookupChannel.hasSubscribers ? performance.now() : -1;
    let lastCause: unknown;
    for (let round = 0; round < this.attempts; round++) {
      for (let i = 0; i < servers.length; i++) {
        const index = (this.preferred + i) % servers.length;
        const server = servers[index]!;
        let edns = true;
        let result = await exchange(this.sockets, server, name, type, edns, this.timeoutMs);
        let interpretation = result.ok ? interpret(result.message, name, type) : undefined;
        if (interpretation?.kind === "failure" && /^(FORMERR|NOTIMP)$/.test(interpretation.outcome)) {
          // RFC 6891 §7: a server that does not speak EDNS answers FORMERR; ask it again without.
          edns = false;
          result = await exchange(this.sockets, server, name, type, edns, this.timeoutMs);
          interpretation = result.ok ? interpret(result.message, name, type) : undefined;
        }
        if (!result.ok) {
          attempts.push({ server: server.label, outcome: result.outcome });
          lastCause = result.cause ?? lastCause;
          continue;
        }
        if (interpretation!.kind === "failure") {
          attempts.push({ server: server.label, outcome: interpretation!.outcome });
          continue;
        }
        attempts.push({
          server: server.label,
          outcome: interpretation!.kind === "records" ? "NOERROR" : interpretation!.reason,
        });
        this.preferred = index;
        publishLookup(name, type, started);
        return { interpretation: interpretation!, message: result.message, attempts };
      }
    }
    const query = { name, type };
    const error = attempts.every((a) => a.outcome === "timeout")
      ? new TimeoutError({ query, attempts, cause: lastCause })
      : new ServerFailureError({ query, attempts, cause: lastCause });
    publishLookup(name, type, started, error);
    throw error;
  }
}

/**
 * Tells the lookup channel how one question ended, when a listener was there as it began (`started` is -1
 * otherwise) and still is. An answered question's message has no `errorType` at all, not an undefined one.
 */
function publishLookup(name: string, type: QueryType, started: number, error?: Error): void {
  if (started < 0 || !lookupChannel.hasSubscribers) return;
  const durationMs = performance.now() - started;
  const message: LookupMessage =
    error === undefined ? { name, type, durationMs } : { name, type, durationMs, errorType: error.name };
  lookupChannel.publish(message);
}

/** Whether a cached A answer says its name exists: records, or NODATA (other records at the name). */
function existsFrom(entry: CacheEntry): boolean {
  if (entry.address !== undefined) return true;
  return !(entry.error instanceof NotFoundError && entry.error.reason === "NXDOMAIN");
}

/**
 * Creates a {@link Resolver}.
 *
 * @example
 * ```ts
 * const resolver = createResolver({ servers: ["127.0.0.1:5353"], timeoutMs: 500, maxCacheEntries: 1000 });
 * ```
 */
export function createResolver(options: ResolverOptions = {}): Resolver {
  return new Resolver(options);
}
