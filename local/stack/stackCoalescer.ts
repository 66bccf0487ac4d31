// The local stack's coalescer: the zone's one writer, run in the stack's own process as the zone is, so the stack
// is the system the Pulumi program deploys by default (`ecssd:coalescer`). The agent sends it its changes over
// its HTTP API, as agents on AWS do; the stack's registrar hands it the awsvpc tasks' changes in-process.
//
// It listens on 127.0.0.1 and a free port rather than a fixed one: only this process's children reach it, and
// they learn the URL from their environment, so nobody has to type it; a fixed port would only be one more that
// a second stack beside the first has to be told to move.
import { randomBytes } from "node:crypto";
import pino from "pino";
import { Coalescer, type CoalescerStatus } from "../../coalescer/coalescer";
import { coalescerConfigFromEnv, coalescerEnvironment } from "../../coalescer/config";
import { startCoalescerApi } from "../../coalescer/httpApi";
import { route53Client } from "../../route53";
import type { LocalZone } from "../zone";

export interface StackCoalescer {
  /** `http://127.0.0.1:<port>`, which the agent gets as ECSSD_COALESCER_URL. */
  readonly url: string;
  /**
   * The token every request must carry (ECSSD_COALESCER_TOKEN): made afresh for each stack, so that nothing else
   * on the machine that reaches loopback can write the zone through it. The agent gets it in its environment;
   * `stack status` reads it from the stack's state file, which only its owner may read.
   */
  readonly token: string;
  /** The core, for the stack's in-process registrar (registrar/coalescerTaskZone.ts). */
  readonly core: Coalescer;
  status(): CoalescerStatus;
  /** Stops accepting, lets submits under way finish, sends what it holds; then closes its Route53 client. */
  stop(): Promise<void>;
}

/** What the stack's banner and `stack status` say of a stack without one. */
export const NO_COALESCER = "none (--no-coalescer): the agent and the registrar write Route53 themselves";

/** Submits under way, and then the core's queue, get this long to finish when the stack stops. */
const STOP_GRACE_MS = 5_000;

/** Starts the coalescer over `zone`, its log in `logFile`; resolves once it has listed the zone and listens. */
export async function startStackCoalescer(zone: LocalZone, logFile: string): Promise<StackCoalescer> {
  // The settings `ecssd coalescer` would read from this environment: its defaults for budget, window and
  // re-listing, the one place they are written.
  const config = coalescerConfigFromEnv(
    coalescerEnvironment({
      zoneName: zone.zoneName,
      zoneId: zone.hostedZoneId,
      route53Endpoint: zone.apiUrl,
      address: "127.0.0.1",
      port: 0,
    }),
  );
  const token = randomBytes(24).toString("base64url");
  const log = pino({ name: "ecssd-coalescer" }, pino.destination(logFile));
  const client = route53Client({ endpoint: zone.apiUrl });
  const core = new Coalescer({
    client,
    zoneId: zone.hostedZoneId,
    zoneName: zone.zoneName,
    budget: config.route53Budget,
    windowMs: config.windowMs,
    relistSeconds: config.relistSeconds,
    log,
  });
  try {
    await core.start();
    const api = await startCoalescerApi({
      zone: core,
      zoneName: zone.zoneName,
      status: () => core.status(),
      log,
      address: config.address,
      port: config.port,
      token,
      maxPortsPerContainer: config.maxPortsPerContainer,
    });
    log.info(
      { action: "listen", url: api.url, zone: zone.zoneName, budget: config.route53Budget },
      "coalescer listening",
    );
    return {
      url: api.url,
      token,
      core,
      status: () => core.status(),
      async stop() {
        await api.close(STOP_GRACE_MS);
        await core.stop(STOP_GRACE_MS);
        client.destroy();
        log.info({ action: "stop", status: core.status() }, "coalescer stopped");
      },
    };
  } catch (err) {
    await core.stop(0);
    client.destroy();
    throw err;
  }
}
