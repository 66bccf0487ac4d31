// The coalescer: the zone's one writer. Every submitter (an agent for its host, a task event for its task) hands
// it a set of changes that must land together; it gathers them for a short window and sends as many as fit into
// one ChangeResourceRecordSets (Route53's limits, and the change tokens its budget has), so a fleet's hundreds of
// writers cost the account a few requests a second instead of one each. It paces itself within its share of the
// account's budget (route53Budget.ts) and slows down further when Route53 throttles it anyway.
//
// It answers its submitters' reads from its copy of the zone (zoneCache.ts), and judges each change against it
// before sending: a change already made is dropped (an UPSERT of what is there, a DELETE of what is gone), an
// UPSERT of a new set becomes a CREATE (half the change tokens), and a change the zone would refuse is refused
// back to its submitter alone, after its names are read again, instead of failing everyone's batch. When Route53
// refuses a batch anyway (someone else changed the zone), the names it names are read again and the batch is
// halved, each half sent on its own, down to the one submission it refuses, which is judged once more against the
// fresh copy before it is refused back to its submitter alone.
//
// One loop, one request in flight: batches, re-reads and the periodic re-listing take turns, so the copy never
// misses a write of its own.
import {
  ChangeResourceRecordSetsCommand,
  GetHostedZoneLimitCommand,
  ListResourceRecordSetsCommand,
  type Route53Client,
} from "@aws-sdk/client-route-53";
import { sleep } from "../agent/backoff";
import { sameRecordSet } from "../agent/recordSetDiff";
import { errorText, type Log } from "../agent/syncLoop";
import { WarningLimiter } from "../agent/warningLimiter";
import { canonicalName, type RecordSet, recordSetKey, type ZoneRecordSet } from "../records";
import { type BucketFigures, changeTokens } from "../route53/accountLimits";
import { Backoff } from "../route53/backoff";
import { CHANGE_BATCH_LIMITS, unitBatches } from "../route53/changeBatches";
import { rejectedRecordSets, translateError } from "../route53/errorClass";
import { InvalidChangeBatchError, ZoneBusyError } from "../route53/errors";
import { ROUTE53_PAGE_SIZE, recordSetPages } from "../route53/recordSetPages";
import { isRecordSetQuotaError, QuotaWarning } from "../route53/recordSetQuota";
import { fromRoute53, toRoute53 } from "../route53/recordSetShape";
import { type Route53Budget, Route53Pace } from "./route53Budget";
import { ZoneCache } from "./zoneCache";
import type { RecordChange, ZoneChanges } from "./zoneChanges";

export interface CoalescerOptions {
  client: Route53Client;
  zoneId: string;
  zoneName: string;
  budget: Route53Budget;
  /** How long the first change of a burst waits for others to share its request (ms). */
  windowMs: number;
  /** The copy of the zone is listed again this often (seconds): others write the zone too. */
  relistSeconds: number;
  log: Log;
  /** Every Route53 request, by action (metrics, the benches). */
  onApiCall?: (action: string) => void;
  /** The account's buckets the budget is a share of; default Route53's published figures. */
  account?: { requests: BucketFigures; changes: BucketFigures };
  /** Back-off after a throttled or failed request (ms); default 100 ms doubling to 5 s, full jitter. */
  backoff?: { baseMs: number; capMs: number };
  /** Monotonic clock (ms). */
  now?: () => number;
  random?: () => number;
}

export interface CoalescerStatus {
  zoneId: string;
  zoneName: string;
  /** Record sets in the zone (the copy's count), and the zone's quota when Route53 told it. */
  recordSets: number;
  recordSetLimit?: number;
  /** Submissions waiting, and changes in them. */
  queued: number;
  queuedChanges: number;
  /** Since start: requests by action, batches and changes sent, throttled requests, submissions refused. */
  requests: Record<string, number>;
  batches: number;
  changes: number;
  throttled: number;
  refused: number;
  pace: { requestsPerSecond: number; changesPerSecond: number; factor: number };
}

interface Pending {
  origin: string;
  changes: readonly RecordChange[];
  since: number;
  /** Its names were read again once already: a refusal now is final. */
  reread: boolean;
  resolve(): void;
  reject(err: Error): void;
  signal?: AbortSignal;
}

/** A submission as it would go now: its changes judged against the copy. */
interface Planned {
  pending: Pending;
  changes: RecordChange[];
}

/** At most one "zone write failed" line and one "zone full" line per this interval. */
const WARNING_INTERVAL_MS = 60_000;
/** The zone's quota is asked again this often. */
const LIMIT_REFRESH_MS = 3_600_000;
/** While re-listing under load, every this-many requests one is a page of the listing. */
const RELIST_EVERY = 4;
/** A refused batch with more names than this is halved instead of re-read name by name. */
const MAX_NAMES_REREAD = 20;

export class Coalescer implements ZoneChanges {
  private cache = new ZoneCache();
  private readonly pace: Route53Pace;
  private readonly backoff: Backoff;
  private readonly now: () => number;
  private readonly stopping = new AbortController();
  private queue: Pending[] = [];
  private loaded: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /**
   * Groups of submissions to send on their own before anything new, the last first: the halves of a batch Route53
   * refused with no reason the copy could explain. A bad submission is found in about 2·log2(n) requests, and
   * delays only the batch it came in; new arrivals never join a group, so they cannot keep a refusal from being
   * narrowed down.
   */
  private isolated: Pending[][] = [];
  /** A re-listing under way: the fresh copy so far, and where its next page starts (none: the first). */
  private relist:
    | { fresh: ZoneCache; next?: { name?: string; type?: string; identifier?: string } }
    | undefined;
  private relistAt: number;
  private limitAt = 0;
  /** When the quota was last asked. */
  private limitReadAt = Number.NEGATIVE_INFINITY;
  private recordSetLimit: number | undefined;
  private sinceRelistPage = 0;
  private readonly warnings: WarningLimiter;
  private readonly quotaWarning: QuotaWarning;
  private readonly counts = {
    requests: {} as Record<string, number>,
    batches: 0,
    changes: 0,
    throttled: 0,
    refused: 0,
  };

  constructor(private readonly opts: CoalescerOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.pace = new Route53Pace(opts.budget, this.now, opts.account);
    this.backoff = new Backoff({
      ...(opts.backoff ?? { baseMs: 100, capMs: 5_000 }),
      ...(opts.random && { random: opts.random }),
    });
    this.warnings = new WarningLimiter(WARNING_INTERVAL_MS, this.now);
    this.quotaWarning = new QuotaWarning(opts.log, { now: this.now });
    this.relistAt = this.now() + opts.relistSeconds * 1000;
  }

  /** Lists the zone into the copy, then begins writing. Reads wait for the listing. */
  async start(): Promise<void> {
    this.loaded ??= this.listAll().then((sets) => this.cache.replaceAll(sets));
    await this.loaded;
    await this.refreshLimit().catch((err) =>
      this.opts.log.warn({ action: "limit", err: String(err) }, "could not read the zone's record-set quota"),
    );
    this.loop ??= this.run();
  }

  /**
   * Stops taking submissions, gives those queued up to `drainMs` to be sent, then refuses the rest with a
   * ZoneBusyError (their submitters retry: nothing is lost, it is only late) and stops.
   */
  async stop(drainMs = 10_000): Promise<void> {
    const deadline = this.now() + drainMs;
    while (this.queue.length > 0 && this.loop && this.now() < deadline) await sleep(50);
    this.stopping.abort();
    this.wake?.();
    await this.loop;
    for (const p of this.queue.splice(0)) p.reject(new ZoneBusyError("the coalescer is stopping", false));
  }

  async hostRecordSets(hostId: string, deployment?: string): Promise<RecordSet[]> {
    await this.whenLoaded();
    return this.cache.hostSets(hostId, deployment);
  }

  async readNames(names: readonly string[]): Promise<RecordSet[]> {
    await this.whenLoaded();
    return this.cache.named(names);
  }

  submit(origin: string, changes: readonly RecordChange[], signal?: AbortSignal): Promise<void> {
    if (this.stopping.signal.aborted)
      return Promise.reject(new ZoneBusyError("the coalescer is stopping", false));
    if (changes.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = {
        origin,
        changes,
        since: this.now(),
        reread: false,
        resolve,
        reject,
        ...(signal && { signal }),
      };
      if (signal?.aborted) return reject(new ZoneBusyError("the submitter gave up waiting", false));
      // A submitter that gave up (its connection closed) takes its changes back unless they are on the way.
      const gaveUp = () => {
        if (this.remove(pending)) reject(new ZoneBusyError("the submitter gave up waiting", false));
      };
      signal?.addEventListener("abort", gaveUp, { once: true });
      pending.resolve = () => {
        signal?.removeEventListener("abort", gaveUp);
        resolve();
      };
      pending.reject = (err) => {
        signal?.removeEventListener("abort", gaveUp);
        reject(err);
      };
      this.queue.push(pending);
      this.wake?.();
    });
  }

  status(): CoalescerStatus {
    return {
      zoneId: this.opts.zoneId,
      zoneName: this.opts.zoneName,
      recordSets: this.cache.size,
      ...(this.recordSetLimit !== undefined && { recordSetLimit: this.recordSetLimit }),
      queued: this.queue.length,
      queuedChanges: this.queue.reduce((n, p) => n + p.changes.length, 0),
      requests: { ...this.counts.requests },
      batches: this.counts.batches,
      changes: this.counts.changes,
      throttled: this.counts.throttled,
      refused: this.counts.refused,
      pace: this.pace.status(),
    };
  }

  private async whenLoaded(): Promise<void> {
    if (!this.loaded) throw new ZoneBusyError("the coalescer has not read the zone yet", false);
    await this.loaded;
  }

  private remove(p: Pending): boolean {
    const i = this.queue.indexOf(p);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    return true;
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      try {
        await this.step();
      } catch (err) {
        // Nothing a submitter sends gets here; an unexpected fault is logged and the loop goes on after a pause.
        this.opts.log.error({ action: "coalesce", err: errorText(err) }, "coalescer step failed; going on");
        await sleep(this.backoff.next(), this.stopping.signal);
      }
    }
  }

  /** One turn: a page of the re-listing, a limit refresh, or a batch, whichever is due. */
  private async step(): Promise<void> {
    const now = this.now();
    if (!this.relist && now >= this.relistAt) this.beginRelist();
    if (now >= this.limitAt) await this.refreshLimit().catch(() => {});
    if (this.relist && (this.queue.length === 0 || this.sinceRelistPage >= RELIST_EVERY)) {
      this.sinceRelistPage = 0;
      await this.relistPage();
      return;
    }
    if (this.queue.length === 0) {
      await this.idle(this.relist ? 0 : Math.max(0, this.relistAt - now));
      return;
    }
    const oldest = Math.min(...this.queue.map((p) => p.since));
    const gather = oldest + this.opts.windowMs - now;
    if (gather > 0) {
      await sleep(gather, this.stopping.signal);
      return;
    }
    const waitRequest = this.pace.msUntilRequest();
    if (waitRequest > 0) {
      await sleep(waitRequest, this.stopping.signal);
      return;
    }
    const batch = await this.compose();
    if (batch.length === 0) return;
    const changes = batch.flatMap((p) => p.changes);
    const tokens = changeTokens(changes);
    const waitChanges = this.pace.msUntilChanges(Math.min(tokens, this.pace.maxChangesPerRequest));
    if (waitChanges > 0) {
      // More may arrive meanwhile and share the request.
      await sleep(waitChanges, this.stopping.signal);
      return;
    }
    this.sinceRelistPage++;
    await this.send(batch, changes, tokens);
  }

  /** Waits for a submission, at most `ms` (0: forever). */
  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.stopping.signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = ms > 0 ? setTimeout(done, ms) : undefined;
      this.wake = done;
      this.stopping.signal.addEventListener("abort", done, { once: true });
    });
  }

  /**
   * The submissions of the next request, in arrival order, their changes judged against the copy: those with
   * nothing left to do are resolved, those the zone would refuse are read again once and then refused, and the
   * rest are taken while they fit Route53's batch limits and the change tokens one request may carry, never two
   * touching the same record set.
   */
  private async compose(): Promise<Planned[]> {
    while (this.isolated.length > 0) {
      const group = (this.isolated.at(-1) as Pending[]).filter((p) => this.queue.includes(p));
      if (group.length === 0) {
        this.isolated.pop();
        continue;
      }
      this.isolated[this.isolated.length - 1] = group;
      return this.plan(group);
    }
    return this.plan([...this.queue]);
  }

  /** The submissions of `candidates` that can go together now, judged (see compose). */
  private async plan(candidates: Pending[]): Promise<Planned[]> {
    const planned: Planned[] = [];
    const suspects: Pending[] = [];
    for (const p of candidates) {
      const judged = judge(p.changes, this.cache);
      if (judged.problem === undefined && judged.changes.length === 0) {
        this.remove(p);
        p.resolve();
      } else if (judged.problem !== undefined) {
        if (p.reread) {
          this.remove(p);
          this.counts.refused++;
          this.opts.log.warn(
            { action: "refuse", origin: p.origin, problem: judged.problem },
            "submission refused: the zone is not as its submitter believes",
          );
          p.reject(new InvalidChangeBatchError(judged.problem));
        } else suspects.push(p);
      } else planned.push({ pending: p, changes: judged.changes });
    }
    if (suspects.length > 0) {
      // The copy may be behind (the reconciler or a person changed the zone): read those names, judge again next turn.
      const names = suspects.flatMap((p) => p.changes.map((c) => c.recordSet.Name));
      for (const p of suspects) p.reread = true;
      await this.reread(names);
      return [];
    }
    const out: Planned[] = [];
    const keys = new Set<string>();
    let tokens = 0;
    const maxTokens = this.pace.maxChangesPerRequest;
    const fits: Planned[] =
      unitBatches(planned, (u) => u.changes, CHANGE_BATCH_LIMITS.changes).next().value ?? [];
    for (const u of fits) {
      const own = u.changes.map((c) => recordSetKey(c.recordSet));
      if (own.some((k) => keys.has(k))) continue;
      const cost = changeTokens(u.changes);
      if (out.length > 0 && tokens + cost > maxTokens) break;
      for (const k of own) keys.add(k);
      tokens += cost;
      out.push(u);
    }
    return out;
  }

  private async send(batch: Planned[], changes: RecordChange[], tokens: number): Promise<void> {
    for (const u of batch) this.remove(u.pending);
    try {
      await this.request("ChangeResourceRecordSets", tokens, () =>
        this.opts.client.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: this.opts.zoneId,
            ChangeBatch: {
              Comment: `ecssd coalescer: ${batch.length} submitters`,
              Changes: changes.map((c) => ({ Action: c.action, ResourceRecordSet: toRoute53(c.recordSet) })),
            },
          }),
        ),
      );
    } catch (err) {
      // Back in the queue, in their places: the next turn judges them again. A submitter that gave up while its
      // batch was on its way takes its changes back now.
      for (const u of batch) {
        if (u.pending.signal?.aborted)
          u.pending.reject(new ZoneBusyError("the submitter gave up waiting", false));
      }
      this.queue.unshift(...batch.map((u) => u.pending).filter((p) => !p.signal?.aborted));
      this.queue.sort((a, b) => a.since - b.since);
      await this.failed(err, batch);
      return;
    }
    this.cache.apply(changes);
    this.relist?.fresh.apply(changes);
    this.counts.batches++;
    this.counts.changes += changes.length;
    this.backoff.reset();
    this.doneWith(batch);
    const unlogged = this.warnings.reset();
    if (unlogged > 0)
      this.opts.log.info(
        { action: "recovered", unlogged },
        `zone writes recovered (${unlogged} failures not logged)`,
      );
    for (const u of batch) u.pending.resolve();
    this.opts.log.debug(
      { action: "batch", submitters: batch.length, changes: changes.length, queued: this.queue.length },
      "zone updated",
    );
  }

  /** A group sent on its own is done with when it passed, or when its members were settled. */
  private doneWith(batch: Planned[]): void {
    const top = this.isolated.at(-1);
    if (!top || !batch.every((u) => top.includes(u.pending))) return;
    const sent = new Set(batch.map((u) => u.pending));
    const rest = top.filter((p) => !sent.has(p));
    if (rest.length > 0) this.isolated[this.isolated.length - 1] = rest;
    else this.isolated.pop();
  }

  /**
   * A batch failed. Route53 busy: back off and send it again. Refused (InvalidChangeBatch, a denied permission, the
   * zone full with nothing to hold back): a lone submission is refused back to its submitter, after its names are
   * read again; a batch of several is halved and each half sent on its own, after the names Route53 named are read
   * again (the copy may have been behind). Nobody's changes fail for another's.
   */
  private async failed(err: unknown, batch: Planned[]): Promise<void> {
    if (err instanceof ZoneBusyError) {
      const line = this.warnings.take();
      if (line.log) {
        this.opts.log.warn(
          { action: "retry", submitters: batch.length, err: errorText(err), suppressed: line.suppressed },
          "zone write failed; retrying",
        );
      }
      await sleep(this.backoff.next(), this.stopping.signal);
      return;
    }
    const refusal = err instanceof Error ? err : new Error(String(err));
    if (!(refusal instanceof InvalidChangeBatchError)) {
      // Not about the changes (a refused permission, a missing zone, expired credentials): no half of the batch
      // would fare better. Every submitter hears it and retries after its own back-off, as before.
      const line = this.warnings.take();
      if (line.log) {
        this.opts.log.error(
          {
            action: "refuse",
            submitters: batch.length,
            err: errorText(refusal),
            suppressed: line.suppressed,
          },
          "Route53 refuses the coalescer's requests",
        );
      }
      this.doneWith(batch);
      for (const u of batch) if (this.remove(u.pending)) u.pending.reject(refusal);
      await sleep(this.backoff.next(), this.stopping.signal);
      return;
    }
    if (isRecordSetQuotaError(refusal) && this.quotaRefused(refusal, batch)) return;
    this.doneWith(batch);
    if (batch.length === 1) {
      const only = batch[0] as Planned;
      await this.reread(only.changes.map((c) => c.recordSet.Name)).catch(() => {});
      // The fresh copy may explain it (the zone changed behind the copy, or an earlier attempt landed and its
      // answer was lost): judged again once, it goes as the zone now stands, or is found made already.
      const again = judge(only.pending.changes, this.cache);
      if (
        !only.pending.reread &&
        (again.problem !== undefined || !sameChanges(again.changes, only.changes))
      ) {
        only.pending.reread = true;
        return;
      }
      if (!this.remove(only.pending)) return;
      this.counts.refused++;
      const full = this.zoneFullFor(only);
      this.opts.log.warn(
        { action: "refuse", origin: only.pending.origin, err: errorText(refusal), zoneFull: full },
        "Route53 refuses this submission on its own",
      );
      if (full) {
        this.quotaRefused(refusal, batch);
        only.pending.reject(zoneFullError(this.opts.zoneName, refusal));
      } else only.pending.reject(refusal);
      return;
    }
    const named = rejectedRecordSets(refusal).map((r) => r.Name);
    if (named.length > 0 && new Set(named.map(canonicalName)).size <= MAX_NAMES_REREAD)
      await this.reread(named).catch(() => {});
    const half = Math.ceil(batch.length / 2);
    const pendings = batch.map((u) => u.pending);
    // The second half is sent after the first: pushed first, popped last.
    this.isolated.push(pendings.slice(half), pendings.slice(0, half));
    await sleep(this.backoff.next(), this.stopping.signal);
  }

  /**
   * Route53's words for a full zone are not published: a lone submission that adds sets, refused while the copy
   * holds as many sets as the zone's quota, is taken for it whatever the words (route53/recordSetQuota.ts).
   */
  private zoneFullFor(u: Planned): boolean {
    return (
      this.recordSetLimit !== undefined &&
      this.cache.size >= this.recordSetLimit &&
      u.changes.some((c) => c.action === "CREATE")
    );
  }

  /**
   * The zone is full: submissions that add sets are refused with Route53's own error (an agent holds its additions
   * and retries them after its back-off, record-set quota being no fault of the change); the rest go on. Said once
   * a minute, with the figures of the copy and of the last GetHostedZoneLimit.
   */
  private quotaRefused(err: Error, batch: Planned[]): boolean {
    const used = this.cache.size;
    const limit = this.recordSetLimit;
    void this.quotaWarning.report({ name: this.opts.zoneName, id: this.opts.zoneId }, async () =>
      limit !== undefined ? { used, limit } : undefined,
    );
    // Asked again at the next turn, at most once a minute: the next refusals find it fresh.
    if (this.now() - this.limitReadAt > 60_000) this.limitAt = 0;
    let held = false;
    for (const u of batch) {
      if (u.changes.some((c) => c.action === "CREATE") && this.remove(u.pending)) {
        this.counts.refused++;
        u.pending.reject(err);
        held = true;
      }
    }
    if (held) this.doneWith(batch);
    return held;
  }

  /** One Route53 request within the pace: waits for its tokens, counts it, translates its error. */
  private async request<T>(operation: string, tokens: number, send: () => Promise<T>): Promise<T> {
    for (;;) {
      const wait = Math.max(this.pace.msUntilRequest(), tokens > 0 ? this.pace.msUntilChanges(tokens) : 0);
      if (wait <= 0) break;
      await sleep(wait, this.stopping.signal);
      if (this.stopping.signal.aborted) throw new ZoneBusyError("the coalescer is stopping", false);
    }
    this.pace.take(tokens);
    this.counts.requests[operation] = (this.counts.requests[operation] ?? 0) + 1;
    this.opts.onApiCall?.(operation);
    try {
      const out = await send();
      this.pace.accepted();
      return out;
    } catch (raw) {
      const err = translateError(raw);
      if (err instanceof ZoneBusyError && err.throttled) {
        this.counts.throttled++;
        this.pace.throttled();
      }
      throw err;
    }
  }

  /** A read, retried within the pace until it passes (or the coalescer stops). */
  private async read<T>(operation: string, send: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await this.request(operation, 0, send);
      } catch (err) {
        if (!(err instanceof ZoneBusyError) || this.stopping.signal.aborted) throw err;
        await sleep(this.backoff.next(), this.stopping.signal);
      }
    }
  }

  private pages(start?: { name: string }): AsyncGenerator<ZoneRecordSet> {
    return recordSetPages(this.opts.client, this.opts.zoneId, {
      call: (operation, send) => this.read(operation, send),
      ...(start && { start }),
    });
  }

  private async listAll(): Promise<ZoneRecordSet[]> {
    const out: ZoneRecordSet[] = [];
    for await (const rs of this.pages()) out.push(rs);
    return out;
  }

  /** Reads these names again into the copy (and into a re-listing under way). */
  private async reread(recordNames: readonly string[]): Promise<void> {
    const names = [...new Set(recordNames.map(canonicalName))];
    const found: ZoneRecordSet[] = [];
    for (const name of names) {
      for await (const rs of this.pages({ name })) {
        if (canonicalName(rs.Name) !== name) break;
        found.push(rs);
      }
    }
    this.cache.replaceNames(names, found);
    this.relist?.fresh.replaceNames(names, found);
  }

  private beginRelist(): void {
    this.relist = { fresh: new ZoneCache() };
  }

  /**
   * One page of the re-listing; the last swaps the fresh copy in. Batches accepted meanwhile went into both
   * copies, and a page read after a batch already shows it, so the fresh copy misses nothing of its own.
   */
  private async relistPage(): Promise<void> {
    const r = this.relist;
    if (!r) return;
    const at = r.next;
    const page = await this.read("ListResourceRecordSets", () =>
      this.opts.client.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: this.opts.zoneId,
          MaxItems: ROUTE53_PAGE_SIZE,
          StartRecordName: at?.name,
          StartRecordType: at?.type as never,
          StartRecordIdentifier: at?.identifier,
        }),
      ),
    );
    if (this.relist !== r) return;
    for (const raw of page.ResourceRecordSets ?? []) {
      const rs = fromRoute53(raw);
      if (rs) r.fresh.add(rs);
    }
    const next = {
      name: page.NextRecordName,
      type: page.NextRecordType,
      identifier: page.NextRecordIdentifier,
    };
    const stuck = next.name === at?.name && next.type === at?.type && next.identifier === at?.identifier;
    if (page.IsTruncated && next.name && !stuck) {
      r.next = next;
      return;
    }
    this.relist = undefined;
    this.relistAt = this.now() + this.opts.relistSeconds * 1000;
    if (page.IsTruncated) {
      // A listing that says there is more but cannot go on: the fresh copy is partial, and a partial copy would
      // take sets it misses for deleted. The old one stays.
      this.opts.log.warn({ action: "relist", at }, "the zone's listing stopped early; keeping the copy");
      return;
    }
    this.cache = r.fresh;
  }

  private async refreshLimit(): Promise<void> {
    this.limitAt = this.now() + LIMIT_REFRESH_MS;
    this.limitReadAt = this.now();
    const out = await this.request("GetHostedZoneLimit", 0, () =>
      this.opts.client.send(
        new GetHostedZoneLimitCommand({ HostedZoneId: this.opts.zoneId, Type: "MAX_RRSETS_BY_ZONE" }),
      ),
    );
    if (typeof out.Limit?.Value === "number") this.recordSetLimit = out.Limit.Value;
  }
}

/**
 * A submission's changes as they would go now, judged against the copy: made already → left out; an UPSERT of a
 * set not there → CREATE (one change token, not two); a DELETE of a set that is there otherwise, or a CREATE of
 * one that is there otherwise → a problem (Route53 would refuse the whole batch).
 */
export function judge(
  changes: readonly RecordChange[],
  cache: Pick<ZoneCache, "get">,
): { changes: RecordChange[]; problem?: string } {
  const out: RecordChange[] = [];
  for (const c of changes) {
    const key = recordSetKey(c.recordSet);
    const current = cache.get(key);
    if (c.action === "DELETE") {
      if (!current) continue;
      if (!sameRecordSet(current, c.recordSet))
        return { changes: [], problem: `cannot delete ${key}: the zone holds it with other values` };
      out.push({ action: "DELETE", recordSet: current });
    } else if (!current) {
      out.push({ action: "CREATE", recordSet: c.recordSet });
    } else if (!sameRecordSet(current, c.recordSet)) {
      if (c.action === "CREATE")
        return { changes: [], problem: `cannot create ${key}: the zone holds it already, with other values` };
      out.push(c);
    }
  }
  return { changes: out };
}

/** A refusal of a full zone in words the agents and the registrar recognise (route53/recordSetQuota.ts). */
function zoneFullError(zoneName: string, cause: Error): InvalidChangeBatchError {
  return new InvalidChangeBatchError(
    `zone ${zoneName} is full (MAX_RRSETS_BY_ZONE): Route53 refused a batch that adds record sets: ${cause.message}`,
    { cause },
  );
}

function sameChanges(a: readonly RecordChange[], b: readonly RecordChange[]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (c, i) => c.action === b[i]?.action && sameRecordSet(c.recordSet, (b[i] as RecordChange).recordSet),
    )
  );
}
