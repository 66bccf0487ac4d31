// The ECS container agent's introspection API on this host (`GET <url>/v1/tasks`, AWS's "Amazon ECS container
// introspection"): which task, of which task-definition family, each Docker container belongs to. A Docker
// label can be set by anyone who can run `docker run`; this answer comes from the ECS agent, which started the
// container. The client keeps the last answer, asks again only when a container it does not know appears, at
// most once per `minIntervalMs`, one request at a time, each bounded in time and size.
import http from "node:http";
import https from "node:https";
import { taskIdFromArn } from "../records";

/** The task ECS says a Docker container belongs to. */
export interface EcsTaskIdentity {
  readonly taskArn: string;
  readonly family: string;
  readonly version: string;
}

/** What ECS says about one Docker container. */
export type EcsTaskAnswer =
  | { readonly status: "known"; readonly task: EcsTaskIdentity }
  /** ECS answered (recently enough) and does not list the container. */
  | { readonly status: "unknown" }
  /** No usable answer: the ECS agent cannot be reached, is slow, or answered something malformed. */
  | { readonly status: "unavailable"; readonly reason: string };

/** The port the core and tests use; the client below implements it over HTTP. */
export interface EcsTaskDirectory {
  taskOf(dockerId: string): Promise<EcsTaskAnswer>;
}

export interface EcsIntrospectionOptions {
  /** Base URL of the ECS agent's introspection API (`http://localhost:51678`). */
  url: string;
  /** One request's whole budget, connection to last byte (default 2000 ms). */
  timeoutMs?: number;
  /** At most one request per this many ms, whatever asks (default 1000 ms). */
  minIntervalMs?: number;
  /** Largest answer read (default 4 MiB; a host runs at most a few hundred tasks). */
  maxBytes?: number;
  /** Told of every request, for metrics and logs. */
  onRequest?: (outcome: { ok: true; tasks: number } | { ok: false; reason: string }) => void;
  now?: () => number;
}

type Outcome = { ok: true; byDockerId: Map<string, EcsTaskIdentity> } | { ok: false; reason: string };

const DOCKER_ID = /^[0-9a-f]{64}$/;
const FAMILY = /^[A-Za-z0-9_-]{1,255}$/;

/** Problems with an answer's shape: the whole answer is refused, never half-read. */
export class IntrospectionAnswerError extends Error {
  override name = "IntrospectionAnswerError";
}

/**
 * Docker id → task, from the body of `GET /v1/tasks` (`{"Tasks":[{"Arn","Family","Version","KnownStatus",
 * "DesiredStatus","Containers":[{"DockerId","DockerName","Name"}]}]}`). A body that is not that shape throws.
 * A task whose ARN or family is not one ECS could write is left out (its containers stay unconfirmed), as is a
 * container without a Docker id yet (ECS lists a task's containers before it has created them).
 */
export function parseIntrospectionTasks(body: unknown): Map<string, EcsTaskIdentity> {
  const tasks = (body as { Tasks?: unknown } | null)?.Tasks;
  if (typeof body !== "object" || body === null || !Array.isArray(tasks)) {
    throw new IntrospectionAnswerError('the answer is not an object with a "Tasks" array');
  }
  const out = new Map<string, EcsTaskIdentity>();
  for (const t of tasks) {
    if (typeof t !== "object" || t === null) throw new IntrospectionAnswerError("a task is not an object");
    const { Arn, Family, Version, Containers } = t as Record<string, unknown>;
    if (Containers !== undefined && Containers !== null && !Array.isArray(Containers)) {
      throw new IntrospectionAnswerError('a task\'s "Containers" is not an array');
    }
    if (typeof Arn !== "string" || taskIdFromArn(Arn) === undefined) continue;
    if (typeof Family !== "string" || !FAMILY.test(Family)) continue;
    const task: EcsTaskIdentity = {
      taskArn: Arn,
      family: Family,
      version: typeof Version === "string" ? Version : "",
    };
    for (const c of (Containers ?? []) as unknown[]) {
      const id = (c as { DockerId?: unknown } | null)?.DockerId;
      if (typeof id === "string" && DOCKER_ID.test(id.toLowerCase())) out.set(id.toLowerCase(), task);
    }
  }
  return out;
}

/** The introspection API over HTTP, with the cache and rate bound described at the top. */
export class EcsIntrospection implements EcsTaskDirectory {
  private known = new Map<string, EcsTaskIdentity>();
  /** A request queued but not yet sent: callers that join it get an answer newer than their question. */
  private queued: Promise<Outcome> | undefined;
  private current: Promise<Outcome> = Promise.resolve({ ok: false, reason: "not asked yet" });
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private readonly timeoutMs: number;
  private readonly minIntervalMs: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private readonly tasksUrl: URL;

  constructor(private readonly opts: EcsIntrospectionOptions) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.minIntervalMs = opts.minIntervalMs ?? 1000;
    this.maxBytes = opts.maxBytes ?? 4 * 1024 * 1024;
    this.now = opts.now ?? Date.now;
    this.tasksUrl = new URL("v1/tasks", opts.url.endsWith("/") ? opts.url : `${opts.url}/`);
  }

  /**
   * The task of `dockerId`. A container in the last answer is answered from it without a request (a Docker id
   * names one container for its whole life, and its task never changes). Any other is asked about with a fresh
   * answer, sent after this call; a failed request keeps the last good answer for the containers it listed.
   */
  async taskOf(dockerId: string): Promise<EcsTaskAnswer> {
    const id = dockerId.toLowerCase();
    const cached = this.known.get(id);
    if (cached) return { status: "known", task: cached };
    const outcome = await this.refresh();
    const task = this.known.get(id);
    if (task) return { status: "known", task };
    return outcome.ok ? { status: "unknown" } : { status: "unavailable", reason: outcome.reason };
  }

  /** A request that starts after this call: joins the queued one, or queues one behind the one in flight. */
  private refresh(): Promise<Outcome> {
    if (this.queued) return this.queued;
    const queued = this.current.then(async (): Promise<Outcome> => {
      const wait = this.lastSentAt + this.minIntervalMs - this.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      this.queued = undefined;
      this.current = queued;
      this.lastSentAt = this.now();
      const outcome = await this.request();
      if (outcome.ok) this.known = outcome.byDockerId;
      try {
        this.opts.onRequest?.(
          outcome.ok ? { ok: true, tasks: new Set(outcome.byDockerId.values()).size } : outcome,
        );
      } catch {
        // A report that fails must not turn an answer into an error.
      }
      return outcome;
    });
    this.queued = queued;
    return queued;
  }

  private request(): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const done = (o: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(o);
      };
      const get = this.tasksUrl.protocol === "https:" ? https.get : http.get;
      const req = get(this.tasksUrl, { headers: { accept: "application/json" } }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          done({ ok: false, reason: `HTTP ${res.statusCode} from ${this.tasksUrl.href}` });
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.maxBytes) {
            done({ ok: false, reason: `answer larger than ${this.maxBytes} bytes` });
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on("error", (err) => done({ ok: false, reason: err.message }));
        res.on("end", () => {
          try {
            const byDockerId = parseIntrospectionTasks(JSON.parse(Buffer.concat(chunks).toString("utf8")));
            done({ ok: true, byDockerId });
          } catch (err) {
            done({ ok: false, reason: `malformed answer: ${(err as Error).message}` });
          }
        });
      });
      const timer = setTimeout(() => {
        done({ ok: false, reason: `no answer within ${this.timeoutMs} ms` });
        req.destroy();
      }, this.timeoutMs);
      req.on("error", (err) => done({ ok: false, reason: err.message }));
    });
  }
}
