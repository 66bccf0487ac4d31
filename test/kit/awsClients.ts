// SDK clients as the tests and benchmarks build them for moto's server or the local zone: placeholder
// credentials (neither checks signatures, and they keep the SDK from looking for real ones), one attempt
// unless asked (a retry would hide the failure a test looks for).
import { ECSClient } from "@aws-sdk/client-ecs";
import { Route53Client } from "@aws-sdk/client-route-53";
import type { LocalZone } from "../../local/zone";

export const REGION = "us-east-1";
const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };

// The SDK warns once per process about Node 20 support; the warning is not about our code.
process.removeAllListeners("warning");
process.on("warning", (w) => {
  if (w.name !== "NodeVersionSupportWarning") process.stderr.write(`${w.name}: ${w.message}\n`);
});

export function route53Client(endpoint: string, maxAttempts = 1): Route53Client {
  return new Route53Client({ endpoint, region: REGION, credentials, maxAttempts });
}

/** A Route53 client for the local zone's API. */
export function route53For(zone: LocalZone, maxAttempts = 1): Route53Client {
  return route53Client(zone.apiUrl, maxAttempts);
}

export function ecsClient(endpoint: string): ECSClient {
  return new ECSClient({ endpoint, region: REGION, credentials, maxAttempts: 1 });
}
