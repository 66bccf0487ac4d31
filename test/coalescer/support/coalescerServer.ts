// The coalescer as its command runs it, in the test's process: the real core over the local zone, and its HTTP
// API on loopback.
import pino from "pino";
import type { Coalescer } from "../../../coalescer/coalescer";
import { type CoalescerApi, startCoalescerApi } from "../../../coalescer/httpApi";
import type { LocalZone } from "../../../local/zone";
import { route53For } from "../../kit/awsClients";
import { localCoalescer } from "../../kit/localCoalescer";

export interface CoalescerServer {
  readonly core: Coalescer;
  readonly api: CoalescerApi;
  /** Route53 requests the core made, by action. */
  readonly calls: string[];
  close(): Promise<void>;
}

export interface CoalescerServerOptions {
  /** The API's bearer token; none: it takes every caller. */
  readonly token?: string;
  /** The API's port (a restarted coalescer keeps its address); default any free one. */
  readonly port?: number;
  /** The API's ECSSD_MAX_PORTS_PER_CONTAINER; none: not counted. */
  readonly maxPortsPerContainer?: number;
}

export async function startCoalescerServer(
  zone: LocalZone,
  opts: CoalescerServerOptions = {},
): Promise<CoalescerServer> {
  const client = route53For(zone);
  const calls: string[] = [];
  const core = localCoalescer(zone, { client, onApiCall: (action) => calls.push(action) });
  await core.start();
  const api = await startCoalescerApi({
    zone: core,
    zoneName: zone.zoneName,
    status: () => core.status(),
    log: pino({ level: "silent" }),
    ...opts,
  });
  return {
    core,
    api,
    calls,
    async close() {
      await api.close(1_000);
      await core.stop(0);
      client.destroy();
    },
  };
}
