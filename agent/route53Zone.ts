// ZoneWriter over the Route53 API (@aws-sdk/client-route-53), with an endpoint override for the local zone.
// Translates the errors the core tells apart and leaves the rest as they are.
import {
  ChangeResourceRecordSetsCommand,
  ListHostedZonesByNameCommand,
  type ListHostedZonesByNameCommandOutput,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
  type Route53ClientConfig,
} from "@aws-sdk/client-route-53";
import { canonicalName, parseSetIdentifier, type RecordSet } from "../records";
import { Backoff, sleep } from "./backoff";
import { InvalidChangeBatchError, type RecordChange, ZoneBusyError, type ZoneWriter } from "./zoneWriter";

/** Counts every API call by action, for metrics and the benchmark. */
export type ApiCallObserver = (action: string) => void;

/** Route53's page size limit for ListResourceRecordSets. */
const PAGE = 300;
const THROTTLING = new Set([
  "Throttling",
  "ThrottlingException",
  "PriorRequestNotComplete",
  "TooManyRequestsException",
]);
const NETWORK = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * A Route53 client for the agent: the SDK's own retries are off (maxAttempts 1) because the reconcile loop
 * retries with its own back-off and must see every throttle to count it.
 */
export function route53Client(opts: { endpoint?: string; region?: string } = {}): Route53Client {
  const config: Route53ClientConfig = { region: opts.region ?? "us-east-1", maxAttempts: 1 };
  if (opts.endpoint) {
    config.endpoint = opts.endpoint;
    // A local zone does not check signatures; dummy credentials keep the SDK from looking for real ones.
    if (!process.env.AWS_ACCESS_KEY_ID)
      config.credentials = { accessKeyId: "local", secretAccessKey: "local" };
  }
  return new Route53Client(config);
}

export class ZoneLookupError extends Error {
  override name = "ZoneLookupError";
}

/** The id of the private hosted zone called `zoneName` (ListHostedZonesByName). */
export async function findPrivateZoneId(client: Route53Client, zoneName: string): Promise<string> {
  const wanted = `${canonicalName(zoneName)}.`;
  let out: ListHostedZonesByNameCommandOutput | undefined;
  // Start-up meets the same throttling as everything else: retry what is worth retrying, a few times.
  const backoff = new Backoff({ baseMs: 200, capMs: 5000 });
  for (let attempt = 1; !out; attempt++) {
    try {
      out = await client.send(new ListHostedZonesByNameCommand({ DNSName: wanted, MaxItems: 100 }));
    } catch (err) {
      const translated = translateError(err);
      if (!(translated instanceof ZoneBusyError) || attempt >= 8) throw translated;
      await sleep(backoff.next());
    }
  }
  const matches = (out.HostedZones ?? []).filter((z) => z.Name?.toLowerCase() === wanted);
  const privates = matches.filter((z) => z.Config?.PrivateZone);
  if (privates.length === 1) return stripZoneId(privates[0]?.Id ?? "");
  if (privates.length > 1) {
    throw new ZoneLookupError(
      `several private hosted zones are called ${wanted} (${privates.map((z) => stripZoneId(z.Id ?? "")).join(", ")}); set ECSSD_ZONE_ID`,
    );
  }
  throw new ZoneLookupError(
    matches.length > 0
      ? `hosted zone ${wanted} is public; the agent writes only to a private hosted zone`
      : `no private hosted zone called ${wanted}; create it or set ECSSD_ZONE_ID`,
  );
}

export function stripZoneId(id: string): string {
  return id.replace(/^\/?hostedzone\//, "");
}

export class Route53Zone implements ZoneWriter {
  constructor(
    private readonly client: Route53Client,
    readonly zoneId: string,
    private readonly onApiCall: ApiCallObserver = () => {},
  ) {}

  async listHostRecordSets(hostId: string): Promise<RecordSet[]> {
    const out: RecordSet[] = [];
    await this.list({}, (rs) => {
      if (parseSetIdentifier(rs.SetIdentifier)?.hostId === hostId) out.push(rs);
      return true;
    });
    return out;
  }

  async readNames(names: string[]): Promise<RecordSet[]> {
    const out: RecordSet[] = [];
    for (const name of [...new Set(names.map(canonicalName))]) {
      await this.list({ StartRecordName: name }, (rs) => {
        if (canonicalName(rs.Name) !== name) return false;
        out.push(rs);
        return true;
      });
    }
    return out;
  }

  async change(changes: RecordChange[]): Promise<void> {
    await this.call("ChangeResourceRecordSets", () =>
      this.client.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: this.zoneId,
          ChangeBatch: {
            Comment: "ecssd agent",
            Changes: changes.map((c) => ({ Action: c.action, ResourceRecordSet: c.recordSet })),
          },
        }),
      ),
    );
  }

  /** Pages through the zone from `start` in Route53's order; `visit` returning false stops. */
  private async list(start: { StartRecordName?: string }, visit: (rs: RecordSet) => boolean): Promise<void> {
    let next: { StartRecordName?: string; StartRecordType?: string; StartRecordIdentifier?: string } = start;
    for (let page = 0; page < 100_000; page++) {
      const out = await this.call("ListResourceRecordSets", () =>
        this.client.send(
          new ListResourceRecordSetsCommand({
            HostedZoneId: this.zoneId,
            MaxItems: PAGE,
            ...(next as Record<string, string>),
          }),
        ),
      );
      for (const raw of out.ResourceRecordSets ?? []) {
        const rs = fromRoute53(raw);
        if (rs && !visit(rs)) return;
      }
      if (!out.IsTruncated || !out.NextRecordName) return;
      next = {
        StartRecordName: out.NextRecordName,
        ...(out.NextRecordType ? { StartRecordType: out.NextRecordType } : {}),
        ...(out.NextRecordIdentifier ? { StartRecordIdentifier: out.NextRecordIdentifier } : {}),
      };
    }
  }

  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    this.onApiCall(action);
    try {
      return await fn();
    } catch (err) {
      throw translateError(err);
    }
  }
}

/** Route53's errors → the core's: busy (retry later), invalid batch (re-read), anything else unchanged. */
export function translateError(err: unknown): unknown {
  const e = err as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const name = e?.name ?? "";
  const message = e?.message ?? String(err);
  if (THROTTLING.has(name)) return new ZoneBusyError(`${name}: ${message}`, true, { cause: err });
  if (name === "InvalidChangeBatch") return new InvalidChangeBatchError(message, { cause: err });
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500)
    return new ZoneBusyError(`HTTP ${status}: ${message}`, false, { cause: err });
  if (status === 429) return new ZoneBusyError(`HTTP 429: ${message}`, true, { cause: err });
  if (
    (e?.code && NETWORK.has(e.code)) ||
    name === "TimeoutError" ||
    (status === undefined && isNetworkish(name))
  ) {
    return new ZoneBusyError(`network: ${message}`, false, { cause: err });
  }
  return err;
}

function isNetworkish(name: string): boolean {
  return ["RequestTimeout", "RequestTimeoutException", "NetworkingError", "Error", "AbortError"].includes(
    name,
  );
}

/** A Route53 record set → ours, names canonical; undefined for alias records and types we never write. */
function fromRoute53(raw: ResourceRecordSet): RecordSet | undefined {
  if (!raw.Name || (raw.Type !== "SRV" && raw.Type !== "A") || !raw.ResourceRecords) return undefined;
  const rs: RecordSet = {
    Name: canonicalName(unescapeName(raw.Name)),
    Type: raw.Type,
    TTL: raw.TTL ?? 0,
    SetIdentifier: raw.SetIdentifier ?? "",
    ResourceRecords: raw.ResourceRecords.map((r) => ({ Value: r.Value ?? "" })),
  };
  if (raw.MultiValueAnswer !== undefined) rs.MultiValueAnswer = raw.MultiValueAnswer;
  if (raw.Weight !== undefined) rs.Weight = raw.Weight;
  return rs;
}

/** Route53 returns some characters as `\ooo` octal escapes. */
function unescapeName(name: string): string {
  return name.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}
