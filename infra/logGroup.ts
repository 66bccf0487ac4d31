import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

/** Days a component's logs are kept when the program gives no `logRetentionDays`. */
export const DEFAULT_LOG_RETENTION_DAYS = 14;

/** A component's log group, `<name>-logs`, kept `retentionDays` (default {@link DEFAULT_LOG_RETENTION_DAYS}). */
export function componentLogGroup(
  name: string,
  retentionDays: number | undefined,
  parent: pulumi.Resource,
): aws.cloudwatch.LogGroup {
  return new aws.cloudwatch.LogGroup(
    `${name}-logs`,
    { retentionInDays: retentionDays ?? DEFAULT_LOG_RETENTION_DAYS },
    { parent },
  );
}
