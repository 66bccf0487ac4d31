import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { lambdaBase, lambdaFunction } from "./lambdaRole";
import type { LambdaNodeRuntime } from "./lambdaRuntime";
import { ownershipSettings, type ZoneWriterArgs } from "./zoneWriterArgs";

/** What a zone-writing Lambda's environment starts from: its zone, its one cluster, who may offer which name. */
export type ZoneWriterSettings = {
  zoneName: string;
  zoneId: string;
  clusters: string[];
} & ReturnType<typeof ownershipSettings>;

/** What the program gives a zone-writing Lambda (the reconciler, the registrar). */
export interface ZoneWriterLambdaArgs extends Omit<ZoneWriterArgs, "srvTtl"> {
  /** The bundled handler (`index.js` exporting `handler`) (required). */
  readonly code: pulumi.Input<pulumi.asset.Archive>;
  readonly clusterName: pulumi.Input<string>;
}

/** What one zone-writing Lambda has of its own. */
export interface ZoneWriterLambdaSpec {
  /** The role's description. */
  readonly roleDescription: string;
  readonly managed: Parameters<typeof lambdaBase>[2]["managed"];
  /** The inline policy, given what every zone writer's is scoped to (its zone and cluster). */
  readonly policy: (scope: ZoneWriterScope) => pulumi.Input<string>;
  /** The function's description. */
  readonly description: string;
  readonly runtime: LambdaNodeRuntime;
  readonly timeout: number;
  readonly vpcConfig?: aws.types.input.lambda.FunctionVpcConfig;
  /** Its environment, written by its own codec from the zone writer's settings and its own. */
  readonly environment: (zone: ZoneWriterSettings) => Record<string, string>;
  readonly invoke: Omit<aws.lambda.FunctionEventInvokeConfigArgs, "functionName">;
}

/** What a zone writer's IAM policy is scoped to, as the program's outputs resolve. */
export interface ZoneWriterScope {
  readonly zoneArn: string;
  readonly zoneName: string;
  readonly clusterArn: string;
}

/**
 * A Lambda that writes the zone: its role (with the policy `spec` makes from the zone and cluster), its log group
 * and the function, whose environment carries the zone, the cluster and the ownership settings as its codec
 * writes them. Resource names are those of {@link lambdaBase} and {@link lambdaFunction}.
 */
export function zoneWriterLambda(
  name: string,
  parent: pulumi.Resource,
  args: ZoneWriterLambdaArgs,
  spec: ZoneWriterLambdaSpec,
): { role: aws.iam.Role; logGroup: aws.cloudwatch.LogGroup; function: aws.lambda.Function } {
  const base = lambdaBase(name, parent, {
    region: args.region,
    description: spec.roleDescription,
    managed: spec.managed,
    policy: pulumi
      .all([args.zoneArn, args.zoneName, args.clusterArn])
      .apply(([zoneArn, zoneName, clusterArn]) =>
        pulumi.output(spec.policy({ zoneArn, zoneName, clusterArn })),
      ),
    logRetentionDays: args.logRetentionDays,
  });
  const fn = lambdaFunction(name, parent, base, {
    description: spec.description,
    runtime: spec.runtime,
    code: args.code,
    timeout: spec.timeout,
    ...(spec.vpcConfig !== undefined && { vpcConfig: spec.vpcConfig }),
    environment: pulumi
      .all([args.zoneName, args.zoneId, args.clusterName, args.deployment])
      .apply(([zoneName, zoneId, clusterName, deployment]) =>
        spec.environment({
          zoneName,
          zoneId,
          clusters: [clusterName],
          ...ownershipSettings({ ...args, deployment }),
        }),
      ),
    invoke: spec.invoke,
  });
  return { role: base.role, logGroup: base.logGroup, function: fn };
}

/**
 * Lets EventBridge invoke `fn` for `rule`'s events (`<name>-invoke-permission`), then makes the rule's target
 * (`targetName`), after the permission so that no event meets a function it may not invoke.
 */
export function invokedByRule(
  name: string,
  parent: pulumi.Resource,
  fn: aws.lambda.Function,
  rule: aws.cloudwatch.EventRule,
  targetName: string,
  target: Omit<aws.cloudwatch.EventTargetArgs, "rule" | "arn"> = {},
): aws.cloudwatch.EventTarget {
  const permission = new aws.lambda.Permission(
    `${name}-invoke-permission`,
    {
      action: "lambda:InvokeFunction",
      function: fn.name,
      principal: "events.amazonaws.com",
      sourceArn: rule.arn,
    },
    { parent },
  );
  return new aws.cloudwatch.EventTarget(
    targetName,
    { rule: rule.name, arn: fn.arn, ...target },
    { parent, dependsOn: [permission] },
  );
}
