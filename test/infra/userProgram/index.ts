// A platform team's own Pulumi program: its VPC, subnets and cluster already exist; it adds service discovery
// with the component, imported from the one entry point, as any user's program would.
import * as pulumi from "@pulumi/pulumi";
import { ServiceDiscovery } from "../../../infra";

const config = new pulumi.Config("platform");

const sd = new ServiceDiscovery("sd", {
  vpcId: config.require("vpcId"),
  privateSubnetIds: config.requireObject<string[]>("privateSubnetIds"),
  clusterArn: config.require("clusterArn"),
  zoneName: "sd.platform.internal",
  agentImage: config.require("agentImage"),
  coalescerImage: config.require("coalescerImage"),
});

export const zoneId = sd.zoneId;
export const zoneName = sd.zoneName;
export const resolverSettings = sd.resolverSettings;
export const coalescerUrl = sd.coalescerUrl;
