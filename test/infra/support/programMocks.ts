// Pulumi unit-test mocks for the whole program: every resource registration is recorded with its
// inputs, invokes are answered only for tokens the program is known to call, and each resource type
// gets the provider-computed outputs the program reads (ids, ARNs, names), shaped like AWS's.
import type * as pulumi from "@pulumi/pulumi";

export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";
export const AMI_ID = "ami-0abc1234def567890";
/** Who runs `pulumi up` under these mocks: a session of an assumed role (sts GetCallerIdentity). */
export const DEPLOYER = {
  roleId: "AROADEPLOYER0EXAMPLE1",
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/alice`,
  userId: "AROADEPLOYER0EXAMPLE1:alice",
} as const;
/** The examples' secrets key under these mocks. */
export const SECRETS_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

/** What an existing environment holds: the VPC, cluster and zone a stack may bring instead of creating. */
export const BROUGHT = {
  vpcId: "vpc-0b0b0b0b0b0b0b0b0",
  vpcCidr: "172.31.0.0/16",
  privateSubnetIds: ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
  publicSubnetIds: ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"],
  clusterName: "platform",
  clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/platform`,
  zoneId: "Z0BROUGHT0ZONE",
  zoneName: "platform.internal",
  zoneArn: "arn:aws:route53:::hostedzone/Z0BROUGHT0ZONE",
} as const;

/** The VPC the program creates (awsx's vpcId under these mocks). */
export const CREATED_VPC_ID = "vpc-0123456789abcdef0";

/** One registered resource, as the engine would have seen it. */
export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  // biome-ignore lint/suspicious/noExplicitAny: resource inputs are untyped JSON by nature
  readonly inputs: any;
  readonly id: string;
  readonly custom: boolean;
}

/** One answered invoke. */
export interface RecordedCall {
  readonly token: string;
  readonly inputs: Record<string, unknown>;
}

function computedOutputs(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
  switch (type) {
    case "awsx:ec2:Vpc":
      return {
        vpcId: CREATED_VPC_ID,
        publicSubnetIds: ["subnet-public-a", "subnet-public-b"],
        privateSubnetIds: ["subnet-private-a", "subnet-private-b"],
      };
    case "awsx:ecr:Image":
      return { imageUri: `${inputs.repositoryUrl}@sha256:${"ab".repeat(32)}` };
    case "aws:ecr/repository:Repository":
      return {
        name,
        repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${name}`,
        arn: arn("ecr", `repository/${name}`),
      };
    case "aws:route53/zone:Zone":
      return { zoneId: "Z0123456789ABCDEFGHIJ", arn: "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ" };
    case "aws:ecs/cluster:Cluster":
      return { name: `${name}-7f3a9c1`, arn: arn("ecs", `cluster/${name}-7f3a9c1`) };
    case "aws:ec2/launchTemplate:LaunchTemplate":
      return { latestVersion: 3, arn: arn("ec2", `launch-template/lt-${name}`) };
    case "aws:ec2/securityGroup:SecurityGroup":
      return { arn: arn("ec2", `security-group/sg-${name}`) };
    case "aws:iam/role:Role":
      return { name, arn: `arn:aws:iam::${ACCOUNT}:role/${name}` };
    case "aws:ssm/parameter:Parameter":
      return { arn: arn("ssm", `parameter${inputs.name}`) };
    case "aws:lb/loadBalancer:LoadBalancer":
      return {
        dnsName: `${name}-1234567890.${REGION}.elb.amazonaws.com`,
        arn: arn("elasticloadbalancing", `loadbalancer/app/${name}/50dc6c495c0c9188`),
      };
    case "aws:lambda/function:Function":
      return { name: inputs.name ?? `${name}-a1b2c3d`, arn: arn("lambda", `function:${name}-a1b2c3d`) };
    case "aws:sqs/queue:Queue":
      return {
        name: inputs.name ?? name,
        arn: arn("sqs", name),
        url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`,
      };
    case "random:index/randomPassword:RandomPassword":
      // Letters and digits only, as the program asks (special: false), of the length it asks.
      return { result: "Rand0m".repeat(20).slice(0, Number(inputs.length)) };
    case "aws:kms/key:Key":
      return { arn: SECRETS_KEY_ARN, keyId: SECRETS_KEY_ARN.split("/")[1] };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { name: `${name}-5e6f7a8`, arn: arn("logs", `log-group:${name}-5e6f7a8`) };
    default:
      return { name: inputs.name ?? name, arn: arn("mock", `${type}/${name}`) };
  }
}

/** Mocks that record; `call` refuses any invoke it was not told about. */
export class ProgramMocks implements pulumi.runtime.Mocks {
  readonly resources: RecordedResource[] = [];
  readonly calls: RecordedCall[] = [];

  /** @param zoneVpcs the VPCs the brought zone is associated with. */
  constructor(private readonly zoneVpcs: readonly string[] = [BROUGHT.vpcId, CREATED_VPC_ID]) {}

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
    const id = args.type.startsWith("aws:ec2/securityGroup:") ? `sg-${args.name}` : `${args.name}-id`;
    this.resources.push({
      type: args.type,
      name: args.name,
      inputs: args.inputs,
      id,
      custom: args.custom ?? false,
    });
    return { id, state: { ...args.inputs, ...computedOutputs(args.type, args.name, args.inputs) } };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    this.calls.push({ token: args.token, inputs: args.inputs });
    switch (args.token) {
      case "aws:ssm/getParameter:getParameter":
        if (
          typeof args.inputs.name !== "string" ||
          !args.inputs.name.startsWith("/aws/service/ecs/optimized-ami/")
        ) {
          throw new Error(`mock: unexpected SSM parameter ${String(args.inputs.name)}`);
        }
        return {
          id: args.inputs.name,
          name: args.inputs.name,
          type: "String",
          value: AMI_ID,
          insecureValue: AMI_ID,
        };
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return { id: ACCOUNT, accountId: ACCOUNT, arn: DEPLOYER.arn, userId: DEPLOYER.userId };
      case "aws:route53/getZone:getZone":
        return this.getZone(args.inputs);
      case "aws:ecs/getCluster:getCluster":
        if (args.inputs.clusterName !== BROUGHT.clusterName) throw new Error("mock: no such cluster");
        return {
          id: BROUGHT.clusterArn,
          arn: BROUGHT.clusterArn,
          clusterName: BROUGHT.clusterName,
          status: "ACTIVE",
        };
      case "aws:ec2/getVpc:getVpc":
        if (args.inputs.id !== BROUGHT.vpcId) throw new Error("mock: no such VPC");
        return { id: BROUGHT.vpcId, cidrBlock: BROUGHT.vpcCidr, enableDnsSupport: true };
      default:
        throw new Error(`mock: the program made an invoke the tests do not know: ${args.token}`);
    }
  }

  /** Route53 as the AWS provider's data source answers: by id, or by name among the private zones a VPC sees. */
  private getZone(inputs: Record<string, unknown>): Record<string, unknown> {
    const zone = {
      id: BROUGHT.zoneId,
      zoneId: BROUGHT.zoneId,
      arn: BROUGHT.zoneArn,
      name: `${BROUGHT.zoneName}.`,
      privateZone: true,
    };
    if (inputs.zoneId !== undefined) {
      if (inputs.zoneId !== BROUGHT.zoneId) throw new Error("mock: no such hosted zone");
      return zone;
    }
    const byName = String(inputs.name).replace(/\.$/, "") === BROUGHT.zoneName && inputs.privateZone === true;
    if (byName && this.zoneVpcs.includes(String(inputs.vpcId))) return zone;
    throw new Error("no matching Route 53 Hosted Zone found");
  }

  /** Every recorded resource of one type token. */
  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The one recorded resource with this logical name. */
  named(name: string): RecordedResource {
    const found = this.resources.filter((r) => r.name === name);
    if (found.length !== 1) throw new Error(`expected one resource named ${name}, found ${found.length}`);
    return found[0] as RecordedResource;
  }
}
