import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import type { NatGatewayChoice } from "./config";

/** Arguments of {@link Network}. */
export interface NetworkArgs {
  /** The VPC's IPv4 range, /16 to /20. Default: `10.0.0.0/16`. */
  readonly cidrBlock?: string;
  /** How many availability zones get a public and a private subnet. Default: 2. */
  readonly availabilityZones?: number;
  /** One NAT gateway for the VPC (`Single`, cheaper) or one per zone (`OnePerAz`). Default: `Single`. */
  readonly natGateways?: NatGatewayChoice;
}

/** Subnet prefix lengths carved from a VPC of prefix `vpcPrefix`: roomy private, small public. */
export function subnetPrefixes(vpcPrefix: number): { public: number; private: number } {
  return { public: vpcPrefix + 8, private: vpcPrefix + 4 };
}

/**
 * The VPC: public subnets for the load balancer and NAT, private subnets for the container
 * instances and the reconciler, DNS support and hostnames on (a private hosted zone needs both).
 */
export class Network extends pulumi.ComponentResource {
  /** The awsx VPC component (its subnets, route tables and NAT gateways are its children). */
  readonly vpc: awsx.ec2.Vpc;
  readonly vpcId: pulumi.Output<string>;
  readonly cidrBlock: string;
  readonly publicSubnetIds: pulumi.Output<string[]>;
  readonly privateSubnetIds: pulumi.Output<string[]>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecssd:infra:Network", name, {}, opts);
    this.cidrBlock = args.cidrBlock ?? "10.0.0.0/16";
    const prefixes = subnetPrefixes(Number(this.cidrBlock.split("/")[1]));
    this.vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: this.cidrBlock,
        numberOfAvailabilityZones: args.availabilityZones ?? 2,
        enableDnsSupport: true,
        enableDnsHostnames: true,
        natGateways: { strategy: args.natGateways ?? "Single" },
        subnetStrategy: "Auto",
        subnetSpecs: [
          { type: "Public", cidrMask: prefixes.public },
          { type: "Private", cidrMask: prefixes.private },
        ],
        tags: { Name: `${name}-vpc` },
      },
      { parent: this },
    );
    this.vpcId = this.vpc.vpcId;
    this.publicSubnetIds = this.vpc.publicSubnetIds;
    this.privateSubnetIds = this.vpc.privateSubnetIds;
    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
    });
  }
}
