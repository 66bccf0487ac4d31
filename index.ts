import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { AgentService } from "./infra/agentService";
import { Cluster } from "./infra/cluster";
import { readStackConfig } from "./infra/config";
import { ExampleServices } from "./infra/exampleServices";
import { bundleImage } from "./infra/imageBundles";
import { Images } from "./infra/images";
import { imagePlatform } from "./infra/instanceLaunch";
import { bundleLambda } from "./infra/lambdaBundle";
import { LAMBDA_NODE_RUNTIMES, RECONCILER_RUNTIME } from "./infra/lambdaRuntime";
import { Network } from "./infra/network";
import { Reconciler } from "./infra/reconciler";
import { ServiceZone } from "./infra/serviceZone";

// The Pulumi program: read and validate the stack's config, compose the components, export outputs.
const config = readStackConfig();

const network = new Network("ecssd-network", {
  cidrBlock: config.vpcCidr,
  availabilityZones: config.availabilityZones,
  natGateways: config.natGateways,
});

const zone = new ServiceZone("ecssd-zone", {
  zoneName: config.zoneName,
  vpcId: network.vpcId,
  region: config.region,
});

const cluster = new Cluster("ecssd-cluster", {
  vpcId: network.vpcId,
  subnetIds: network.privateSubnetIds,
  region: config.region,
  instanceType: config.instanceType,
  desiredCapacity: config.desiredCapacity,
  minSize: config.minSize,
  maxSize: config.maxSize,
});

const images = new Images("ecssd-images", {
  platform: imagePlatform(cluster.architecture),
  baseImage: config.baseImage,
  context: ".",
  // The Dockerfiles copy a bundle made beforehand, exactly as for the local stack.
  prepare: bundleImage,
});

new AgentService("ecssd-agent", {
  clusterArn: cluster.clusterArn,
  image: images.imageUris.agent,
  zoneId: zone.zoneId,
  zoneArn: zone.zoneArn,
  zoneName: zone.zoneName,
  region: config.region,
  srvTtl: config.srvTtl,
  logRetentionDays: config.logRetentionDays,
});

const bundle = bundleLambda(path.join(__dirname, "reconciler", "handler.ts"), {
  target: LAMBDA_NODE_RUNTIMES[RECONCILER_RUNTIME].esbuildTarget,
});
const reconciler = new Reconciler("ecssd-reconciler", {
  code: new pulumi.asset.AssetArchive({ [bundle.fileName]: new pulumi.asset.StringAsset(bundle.code) }),
  vpcId: network.vpcId,
  vpcCidr: network.cidrBlock,
  subnetIds: network.privateSubnetIds,
  instanceSecurityGroupId: cluster.instanceSecurityGroup.id,
  clusterArn: cluster.clusterArn,
  clusterName: cluster.clusterName,
  zoneId: zone.zoneId,
  zoneArn: zone.zoneArn,
  zoneName: zone.zoneName,
  region: config.region,
  schedule: config.reconcileSchedule,
  checkHealth: config.checkHealth,
  healthPath: config.healthPath,
  healthTimeoutMs: config.healthTimeoutMs,
  healthConcurrency: config.healthConcurrency,
  stopUnhealthyTasks: config.stopUnhealthyTasks,
  dryRun: config.dryRun,
  maxDeleteShare: config.maxDeleteShare,
  logRetentionDays: config.logRetentionDays,
});

const examples = new ExampleServices("ecssd-examples", {
  clusterArn: cluster.clusterArn,
  capacityProviderName: cluster.capacityProvider.name,
  capacityProviders: cluster.capacityProviders,
  vpcId: network.vpcId,
  publicSubnetIds: network.publicSubnetIds,
  instanceSecurityGroupId: cluster.instanceSecurityGroup.id,
  // Every image of the catalog; the examples take the ones the manifest names.
  images: images.imageUris,
  zoneName: zone.zoneName,
  username: config.examplesUsername,
  password: config.examplesPassword,
  region: config.region,
  srvTtl: config.srvTtl,
  logRetentionDays: config.logRetentionDays,
});

/** Open in a browser: the portal calls time and calc through service discovery. */
export const portalUrl = examples.portalUrl;
/** The private hosted zone holding the SRV and A records. */
export const zoneId = zone.zoneId;
export const zoneName = zone.zoneName;
/** The ECS cluster running the agent and the examples. */
export const clusterName = cluster.clusterName;
/** Invoke it by hand: `aws lambda invoke --function-name <this> out.json`. */
export const reconcilerFunctionName = reconciler.functionName;
