// A coalescer over a local zone, as the tests make one: the account's default budget, a short window, no re-listing
// within a test, a silent log. A test gives what it cares about (its window, its client, its call counter).
import pino from "pino";
import { Coalescer, type CoalescerOptions } from "../../coalescer/coalescer";
import { DEFAULT_ROUTE53_BUDGET } from "../../coalescer/route53Budget";
import type { LocalZone } from "../../local/zone";
import { route53For } from "./awsClients";

export function localCoalescer(zone: LocalZone, options: Partial<CoalescerOptions> = {}): Coalescer {
  return new Coalescer({
    client: route53For(zone),
    zoneId: zone.hostedZoneId,
    zoneName: zone.zoneName,
    budget: DEFAULT_ROUTE53_BUDGET,
    windowMs: 20,
    relistSeconds: 300,
    log: pino({ level: "silent" }),
    ...options,
  });
}
