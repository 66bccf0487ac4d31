// The one place that builds a Route53 client: endpoint override for the local zone, placeholder credentials
// when that endpoint is used without AWS credentials, the signing region, how often the SDK retries, and how
// long a connection or a request may take. The ECS client (ecsClient.ts) shares the first three through
// awsClientBase; it lives in its own file so that the agent, which imports this one, never loads the ECS SDK.
import { Route53Client, type Route53ClientConfig } from "@aws-sdk/client-route-53";

/** What every AWS client of the tree is told: where, signed for which region, how often the SDK retries. */
export interface AwsClientBaseOptions {
  /** A compatible API (the local zone, moto) instead of AWS. */
  endpoint?: string | undefined;
  region: string;
  /** Attempts per request inside the SDK. */
  maxAttempts: number;
  /** Where to look for AWS credentials. */
  env: Readonly<Record<string, string | undefined>>;
}

/** The client settings every factory shares. */
export function awsClientBase(options: AwsClientBaseOptions): {
  region: string;
  maxAttempts: number;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
} {
  const config: ReturnType<typeof awsClientBase> = {
    region: options.region,
    maxAttempts: options.maxAttempts,
  };
  if (options.endpoint !== undefined) {
    config.endpoint = options.endpoint;
    // Local servers (the local zone, moto) do not check signatures; without AWS credentials in the
    // environment, sign with placeholders rather than fail looking for real ones.
    if (!options.env.AWS_ACCESS_KEY_ID)
      config.credentials = { accessKeyId: "local", secretAccessKey: "local" };
  }
  return config;
}

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
  /** Longest wait for a TCP (and TLS) connection, in ms. Default 3,000. */
  connectionTimeoutMs?: number;
  /** Longest wait for a whole request and its answer, in ms. Default 15,000. */
  requestTimeoutMs?: number;
}

/**
 * Without these the SDK waits up to 300 s on a connection that was accepted and never answered; the agent's
 * writer has one request in flight, so one hung connection would hold every write for five minutes. A
 * timeout is a TimeoutError, which the edge classifies as retryable. Route53's slowest call, a 1,000-value
 * change batch, answers in well under a second, so 15 s is generous.
 */
export const ROUTE53_TIMEOUTS = { connectionTimeoutMs: 3_000, requestTimeoutMs: 15_000 } as const;

export function route53Client(options: Route53ClientOptions = {}): Route53Client {
  const config: Route53ClientConfig = {
    ...awsClientBase({
      endpoint: options.endpoint,
      region: options.region ?? "us-east-1",
      maxAttempts: options.maxAttempts ?? 1,
      env: options.env ?? process.env,
    }),
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? ROUTE53_TIMEOUTS.connectionTimeoutMs,
      requestTimeout: options.requestTimeoutMs ?? ROUTE53_TIMEOUTS.requestTimeoutMs,
      // Without it the SDK only logs a warning when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: true,
    },
  };
  return new Route53Client(config);
}
