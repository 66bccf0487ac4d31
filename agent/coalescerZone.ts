// The agent's ZoneWriter over the coalescer's HTTP API (coalescer/httpApi.ts), with Node's fetch: the
// agent of a fleet sends its changes to the zone's one writer instead of calling Route53. Errors become the
// core's: a refused batch is InvalidChangeBatchError (the loop re-reads and rebuilds), a coalescer that is
// stopping, unreachable or slow is ZoneBusyError (the loop waits and retries), a refused token is
// CoalescerTokenRefusedError (a ZoneBusyError too: see there), a change the coalescer forbids is
// InvalidChangeBatchError too (the loop isolates and skips it), anything else an Error that names the status
// and the body.
import { COALESCER_API_LIMITS, COALESCER_ROUTES, type CoalescerRoute } from "../coalescer/apiContract";
import { bearerHeader } from "../coalescer/apiToken";
import type { RecordSet } from "../records";
import type { ApiCallObserver } from "./route53Zone";
import { InvalidChangeBatchError, type RecordChange, ZoneBusyError, type ZoneWriter } from "./zoneWriter";

/** How long a request may take before the coalescer counts as busy, ms. */
export interface CoalescerTimeouts {
  /** A submit waits for the zone's budget, which the whole fleet shares (the server never times it out). */
  readonly changesMs: number;
  readonly readsMs: number;
}

export const COALESCER_TIMEOUTS: CoalescerTimeouts = { changesMs: 150_000, readsMs: 10_000 };

/**
 * The coalescer refuses our token (401): the agent's ECSSD_COALESCER_TOKEN is missing or not the coalescer's.
 * A ZoneBusyError, so that the loop keeps the changes and retries them without bound, with its back-off and at
 * most one warning line a minute: a token fixed by redeploying the coalescer (or one rotated in the wrong order)
 * heals without restarting the agent, where a fatal error would stop it and a host's stops would be lost until
 * it came back. Its own name and message keep it from reading as a busy zone.
 */
export class CoalescerTokenRefusedError extends ZoneBusyError {
  override name = "CoalescerTokenRefusedError";
}

export interface CoalescerZoneOptions {
  /** This host's deployment mark, sent with its changes. */
  readonly deployment?: string;
  /** The coalescer's bearer token (ECSSD_COALESCER_TOKEN), sent with every request; never in a message. */
  readonly token?: string;
  /** Counts each call, under its route's name (COALESCER_ROUTES). */
  readonly onApiCall?: ApiCallObserver;
  readonly timeouts?: CoalescerTimeouts;
}

/** What `GET /v1/status` says of the zone (the rest of the status is the coalescer's own business). */
export interface CoalescerZoneStatus {
  readonly zoneId: string;
  readonly zoneName: string;
}

export class CoalescerZone implements ZoneWriter {
  private readonly base: string;
  private readonly timeouts: CoalescerTimeouts;

  constructor(
    url: string,
    /** The host the agent writes for: the path of its submits. */
    private readonly hostId: string,
    private readonly opts: CoalescerZoneOptions = {},
  ) {
    this.base = url.replace(/\/+$/, "");
    this.timeouts = opts.timeouts ?? COALESCER_TIMEOUTS;
  }

  /** The zone the coalescer writes: its id, and its name, which must be the agent's. */
  async status(): Promise<CoalescerZoneStatus> {
    const body = await this.request(COALESCER_ROUTES.status, "/v1/status", this.timeouts.readsMs);
    if (!isObject(body) || typeof body.zoneId !== "string" || typeof body.zoneName !== "string")
      throw new Error(`the coalescer at ${this.base} answered its status without a zoneId and zoneName`);
    return { zoneId: body.zoneId, zoneName: body.zoneName };
  }

  async listHostRecordSets(hostId: string, deployment?: string): Promise<RecordSet[]> {
    const query = deployment === undefined ? "" : `?deployment=${encodeURIComponent(deployment)}`;
    const path = `/v1/hosts/${encodeURIComponent(hostId)}/record-sets${query}`;
    return recordSetsOf(await this.request(COALESCER_ROUTES.hostRecordSets, path, this.timeouts.readsMs));
  }

  async readNames(names: string[]): Promise<RecordSet[]> {
    const out: RecordSet[] = [];
    const unique = [...new Set(names)];
    for (let i = 0; i < unique.length; i += COALESCER_API_LIMITS.namesPerRead) {
      const chunk = unique.slice(i, i + COALESCER_API_LIMITS.namesPerRead);
      const body = await this.request(
        COALESCER_ROUTES.readNames,
        "/v1/record-sets/read",
        this.timeouts.readsMs,
        {
          names: chunk,
        },
      );
      out.push(...recordSetsOf(body));
    }
    return out;
  }

  async change(changes: RecordChange[]): Promise<void> {
    const path = `/v1/hosts/${encodeURIComponent(this.hostId)}/changes`;
    await this.request(COALESCER_ROUTES.changes, path, this.timeouts.changesMs, {
      ...(this.opts.deployment !== undefined && { deployment: this.opts.deployment }),
      changes,
    });
  }

  private async request(
    route: CoalescerRoute,
    path: string,
    timeoutMs: number,
    body?: unknown,
  ): Promise<unknown> {
    this.opts.onApiCall?.(route);
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.base}${path}`, {
        method: body === undefined ? "GET" : "POST",
        signal: AbortSignal.timeout(timeoutMs),
        headers: {
          ...(this.opts.token !== undefined && bearerHeader(this.opts.token)),
          ...(body !== undefined && { "Content-Type": "application/json" }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      text = await res.text();
    } catch (err) {
      // Refused, reset or timed out: the coalescer may be restarting or its zone slow; the loop retries.
      throw new ZoneBusyError(`${route} at ${this.base}: ${reason(err)}`, false, { cause: err });
    }
    if (res.status === 401)
      throw new CoalescerTokenRefusedError(
        `${route}: the coalescer at ${this.base} refuses our token (${
          this.opts.token === undefined ? "none is set" : "it is not the coalescer's"
        }): check ECSSD_COALESCER_TOKEN on the agent and the coalescer`,
        false,
      );
    if (res.status === 409) throw new InvalidChangeBatchError(messageOf(text) ?? text);
    // The coalescer's judgement of a submit (403 Forbidden, naming `changes`): one of them breaks a rule of what
    // a host may write (a container over its port cap, a reserved service name, ...). As a refused batch, the
    // loop narrows it down to that change and skips it until its container changes; any other error would have
    // it resend the same batch forever, every other container's changes queued behind it.
    const refusal =
      route === COALESCER_ROUTES.changes && res.status === 403 ? changeRefusal(text) : undefined;
    if (refusal !== undefined)
      throw new InvalidChangeBatchError(`${route} at ${this.base} answered 403: ${refusal}`);
    if (res.status === 503)
      throw new ZoneBusyError(`${route}: the coalescer is busy (${messageOf(text) ?? text})`, false);
    if (!res.ok) throw new Error(`${route} at ${this.base} answered ${res.status}: ${text.slice(0, 500)}`);
    if (res.status === 204 || text === "") return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(
        `${route} at ${this.base} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`,
      );
    }
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function recordSetsOf(body: unknown): RecordSet[] {
  if (!isObject(body) || !Array.isArray(body.recordSets))
    throw new Error('the coalescer answered without "recordSets"');
  return body.recordSets as RecordSet[];
}

/** The message of the coalescer's refusal of a submit's changes (changeRequest.ts), or undefined if not one. */
function changeRefusal(text: string): string | undefined {
  const body = jsonObject(text);
  const message = body?.message;
  return body?.error === "Forbidden" && typeof message === "string" && /^changes\b/.test(message)
    ? message
    : undefined;
}

function messageOf(text: string): string | undefined {
  const message = jsonObject(text)?.message;
  return typeof message === "string" ? message : undefined;
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const body: unknown = JSON.parse(text);
    return isObject(body) ? body : undefined;
  } catch {
    return undefined;
  }
}

/** fetch's own error says only "fetch failed"; the reason is its cause (ECONNREFUSED, a timeout). */
function reason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === "TimeoutError") return err.message;
  const cause =
    err.cause instanceof Error ? `: ${(err.cause as NodeJS.ErrnoException).code ?? err.cause.message}` : "";
  return `${err.message}${cause}`;
}
