// The one place that builds an EC2 client (the registrar's AZ names → AZ IDs, DescribeAvailabilityZones), with the
// settings every AWS client of the tree shares (client.ts). Not exported by index.ts: the agent loads the edge's
// index, and must not load the EC2 SDK with it.
import { EC2Client } from "@aws-sdk/client-ec2";
import { awsClientBase } from "./client";

export interface Ec2ClientOptions {
  /** The region whose AZs are mapped (EC2 is regional: no default). */
  region: string;
  /** An EC2-compatible API (moto) instead of AWS; unset, the SDK's own (AWS_ENDPOINT_URL_EC2 points it elsewhere). */
  endpoint?: string | undefined;
  /** Attempts per request inside the SDK (default 1: callers retry themselves through AwsCall, and count). */
  maxAttempts?: number;
  /** Where to look for AWS credentials; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

export function ec2Client(options: Ec2ClientOptions): EC2Client {
  return new EC2Client(
    awsClientBase({
      endpoint: options.endpoint,
      region: options.region,
      maxAttempts: options.maxAttempts ?? 1,
      env: options.env ?? process.env,
    }),
  );
}
