// Counts what each writer of the fleet asks of Route53, on its own SDK clients: every attempt by action, the
// attempts answered Throttling, other failures, and the record changes of the batches Route53 accepted (and
// what they cost the change bucket, an UPSERT counting two). The local zone counts calls per action but not
// who made them nor which were throttled; a middleware on the client sees both, and costs the zone nothing.
import type { Route53Client } from "@aws-sdk/client-route-53";

export interface WriterCounts {
  /** Attempts sent, by action (every one reaches the zone: the product's clients make one attempt per send). */
  requests: Record<string, number>;
  /** Attempts answered Throttling, by action. */
  throttled: Record<string, number>;
  /** Other failed attempts, by error name. */
  failed: Record<string, number>;
  /** Change elements in accepted ChangeResourceRecordSets batches. */
  changes: number;
  /** What those batches took from the change bucket (an UPSERT counts two). */
  changeTokens: number;
}

interface ChangeInput {
  ChangeBatch?: { Changes?: { Action?: string }[] };
}

const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

export class Route53Meter {
  private readonly writers = new Map<string, WriterCounts>();

  /** Meters `client` as one of `writer`'s; returns it. */
  attach(client: Route53Client, writer: string): Route53Client {
    const counts = this.counts(writer);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const action = (context.commandName ?? "Unknown").replace(/Command$/, "");
        counts.requests[action] = (counts.requests[action] ?? 0) + 1;
        try {
          const out = await next(args);
          if (action === "ChangeResourceRecordSets") {
            const changes = (args.input as ChangeInput).ChangeBatch?.Changes ?? [];
            counts.changes += changes.length;
            for (const c of changes) counts.changeTokens += c.Action === "UPSERT" ? 2 : 1;
          }
          return out;
        } catch (err) {
          const name = (err as Error).name ?? "Error";
          if (name === "Throttling") counts.throttled[action] = (counts.throttled[action] ?? 0) + 1;
          else counts.failed[name] = (counts.failed[name] ?? 0) + 1;
          throw err;
        }
      },
      // Inside the SDK's retry middleware (finalizeRequest), around deserialisation: once per attempt, with
      // the error already parsed.
      { step: "deserialize", priority: "high", name: "fleetRoute53Meter" },
    );
    return client;
  }

  counts(writer: string): WriterCounts {
    let c = this.writers.get(writer);
    if (!c) {
      c = { requests: {}, throttled: {}, failed: {}, changes: 0, changeTokens: 0 };
      this.writers.set(writer, c);
    }
    return c;
  }

  /** Every writer's counts, and their total. */
  summary(): Record<string, WriterSummary> {
    const out: Record<string, WriterSummary> = {};
    const all: WriterCounts = { requests: {}, throttled: {}, failed: {}, changes: 0, changeTokens: 0 };
    for (const [writer, c] of this.writers) {
      out[writer] = summarise(c);
      for (const [k, v] of Object.entries(c.requests)) all.requests[k] = (all.requests[k] ?? 0) + v;
      for (const [k, v] of Object.entries(c.throttled)) all.throttled[k] = (all.throttled[k] ?? 0) + v;
      for (const [k, v] of Object.entries(c.failed)) all.failed[k] = (all.failed[k] ?? 0) + v;
      all.changes += c.changes;
      all.changeTokens += c.changeTokens;
    }
    out.all = summarise(all);
    return out;
  }

  reset(): void {
    for (const c of this.writers.values()) {
      c.requests = {};
      c.throttled = {};
      c.failed = {};
      c.changes = 0;
      c.changeTokens = 0;
    }
  }
}

export interface WriterSummary {
  requests: number;
  throttled: number;
  /** throttled / requests, 0 when none. */
  throttledShare: number;
  changes: number;
  changeTokens: number;
  requestsByAction: Record<string, number>;
  throttledByAction: Record<string, number>;
  failed: Record<string, number>;
}

function summarise(c: WriterCounts): WriterSummary {
  const requests = sum(c.requests);
  const throttled = sum(c.throttled);
  return {
    requests,
    throttled,
    throttledShare: requests === 0 ? 0 : throttled / requests,
    changes: c.changes,
    changeTokens: c.changeTokens,
    requestsByAction: { ...c.requests },
    throttledByAction: { ...c.throttled },
    failed: { ...c.failed },
  };
}
