// The one place that builds a Route53 client: endpoint override for the local zone, placeholder credentials
// when that endpoint is used without AWS credentials, the signing region, and how often the SDK retries.
import { Route53Client, type Route53ClientConfig } from "@aws-sdk/client-route-53";

export interface Route53ClientOptions {
  /** A Route53-compatible API (the local zone, moto) instead of AWS. */
  endpoint?: string;
  /** Route53 is a global service signed for us-east-1 whatever the region; default us-east-1. */
  region?: string;
  /**
   * Attempts per request inside the SDK (default 1: our callers retry themselves, with the edge's back-off,
   * and count every throttle).
   */
  maxAttempts?: number;
  /** Where to look for AWS credentials; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

export function route53Client(options: Route53ClientOptions = {}): Route53Client {
  const env = options.env ?? process.env;
  const config: Route53ClientConfig = {
    region: options.region ?? "us-east-1",
    maxAttempts: options.maxAttempts ?? 1,
  };
  if (options.endpoint !== undefined) {
    config.endpoint = options.endpoint;
    // A local zone does not check signatures; placeholders keep the SDK from looking for real credentials.
    if (!env.AWS_ACCESS_KEY_ID) config.credentials = { accessKeyId: "local", secretAccessKey: "local" };
  }
  return new Route53Client(config);
}
