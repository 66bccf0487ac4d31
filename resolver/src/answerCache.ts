// The resolver's answer cache: each answer (endpoints, an address, or a negative answer to rethrow) kept for its
// TTL, and the policy of serving it: fresh until a late point in the TTL, then served while refreshed in the
// background, and past its TTL served stale while every server fails (RFC 8767), within a bound.
import { type FailedQuery, type ResolverError, ServerFailureError, TimeoutError } from "./errors";
import { LruCache, type LruNode } from "./lruCache";
import type { EndpointSet } from "./srvSelect";

/** The address an A answer gave, with its TTL. */
export interface AddressAnswer {
  readonly address: string;
  readonly ttl: number;
}

/**
 * A cached answer: endpoints, an address, a target's AZ (from its TXT records), or a negative answer to rethrow.
 * Also its own LRU node.
 */
export class CacheEntry implements LruNode {
  prev: LruNode | undefined = undefined;
  next: LruNode | undefined = undefined;
  /** When the last refresh of this entry failed (0: never); while stale, it is served at once. */
  failedAt = 0;
  refreshing = false;

  constructor(
    readonly key: string,
    readonly query: FailedQuery,
    readonly set: EndpointSet | undefined,
    readonly address: AddressAnswer | undefined,
    readonly error: ResolverError | undefined,
    readonly ttl: number,
    readonly expiresAt: number,
    readonly prefetchAt: number,
    readonly staleUntil: number,
    /** A TXT answer's `az-id=` value; undefined for other answers and for TXT sets without one. */
    readonly azId: string | undefined = undefined,
  ) {}
}

/** The serving policy of an {@link AnswerCache}. */
export interface AnswerCachePolicy {
  /** Bound of the cache; 0 keeps nothing. */
  readonly maxEntries: number;
  /** How long past its TTL an answer may be served while every server fails. */
  readonly maxStaleMs: number;
  /** While serving stale, how often the servers are asked again. */
  readonly staleRefreshIntervalMs: number;
  /** The fraction of the TTL after which a hit refreshes the answer in the background. */
  readonly prefetchRatio: number;
  readonly now: () => number;
}

/** Answers by key, bounded (least recently used go first), with the times that decide how each is served. */
export class AnswerCache {
  private readonly entries: LruCache<CacheEntry>;

  constructor(private readonly policy: AnswerCachePolicy) {
    this.entries = new LruCache<CacheEntry>(policy.maxEntries);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The entry under `key`, marked as most recently used. */
  get(key: string): CacheEntry | undefined {
    return this.entries.get(key);
  }

  clear(): void {
    this.entries.clear();
  }

  /** A new entry for an answer that came now, with its times from the TTL and the policy. */
  entry(
    key: string,
    query: FailedQuery,
    ttlSeconds: number,
    set: EndpointSet | undefined,
    address: AddressAnswer | undefined,
    error: ResolverError | undefined,
    azId?: string,
  ): CacheEntry {
    const now = this.policy.now();
    const ttlMs = ttlSeconds * 1000;
    return new CacheEntry(
      key,
      query,
      set,
      address,
      error,
      ttlSeconds,
      now + ttlMs,
      now + ttlMs * this.policy.prefetchRatio,
      now + ttlMs + this.policy.maxStaleMs,
      azId,
    );
  }

  /** Keeps a new answer; one with TTL 0 is not cached, and an older answer must not outlive it as a stale fallback. */
  keep(entry: CacheEntry): void {
    if (entry.ttl > 0) {
      this.entries.set(entry);
    } else {
      const old = this.entries.peek(entry.key);
      if (old !== undefined) this.entries.delete(old);
    }
  }

  /**
   * Whether an entry past its prefetch point may still be served at `now`: while fresh, and once expired, while
   * the servers are known to be failing and the staleness bound allows (RFC 8767). A served entry is due for a
   * background refresh (see {@link refreshDue}).
   */
  servable(entry: CacheEntry, now: number): boolean {
    return now < entry.expiresAt || (entry.failedAt > 0 && now < entry.staleUntil);
  }

  /** Whether the servers may be asked again for an entry served now: not while stale and asked recently. */
  refreshDue(entry: CacheEntry, now: number): boolean {
    return !(entry.failedAt > 0 && now < entry.failedAt + this.policy.staleRefreshIntervalMs);
  }

  /**
   * RFC 8767: when every server failed (timeouts or failure codes) asking for `key`, the expired answer within the
   * staleness bound beats an error; it is marked as served stale from now. Undefined when there is none to serve.
   */
  staleOnFailure(key: string, err: unknown): CacheEntry | undefined {
    if (!(err instanceof TimeoutError || err instanceof ServerFailureError)) return undefined;
    const stale = this.entries.peek(key);
    const now = this.policy.now();
    if (stale === undefined || now >= stale.staleUntil) return undefined;
    stale.failedAt = now;
    return stale;
  }
}
