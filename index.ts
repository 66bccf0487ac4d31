import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EXAMPLE_NAMES, type ExampleName } from "./examples/manifest";
import { Cluster } from "./infra/cluster";
import { COALESCER_IMAGE } from "./infra/coalescer";
import { readStackConfig } from "./infra/config";
import { exampleServiceOwners } from "./infra/exampleClaims";
import { ExampleServices } from "./infra/exampleServices";
import { bundleImage } from "./infra/imageBundles";
import { Images } from "./infra/images";
import { imagePlatform, instanceArchitecture } from "./infra/instanceLaunch";
import { Network } from "./infra/network";
import { ServiceDiscovery } from "./infra/serviceDiscovery";

// The Pulumi program: read and validate the stack's config, compose the components, export outputs. What the
// stack config names as existing (VPC, cluster, zone) is looked up and used, never created nor deleted.
const config = readStackConfig();

const network = config.existingVpc
  ? undefined
  : new Network("ecssd-network", {
      cidrBlock: config.vpcCidr,
      availabilityZones: config.availabilityZones,
      natGateways: config.natGateways,
    });
const vpcId = config.existingVpc?.vpcId ?? (network as Network).vpcId;
const privateSubnetIds =
  config.existingVpc?.privateSubnetIds.slice() ?? (network as Network).privateSubnetIds;

const cluster = config.clusterName
  ? undefined
  : new Cluster("ecssd-cluster", {
      vpcId,
      subnetIds: privateSubnetIds,
      region: config.region,
      instanceType: config.instanceType,
      desiredCapacity: config.desiredCapacity,
      minSize: config.minSize,
      maxSize: config.maxSize,
    });
const brought = config.clusterName
  ? aws.ecs.getClusterOutput({ clusterName: config.clusterName })
  : undefined;

// A brought cluster's instances are the user's: ecssd:instanceType names their architecture.
const platform = imagePlatform(cluster?.architecture ?? instanceArchitecture(config.instanceType));
const images = new Images("ecssd-images", {
  platform,
  baseImage: config.baseImage,
  context: ".",
  // The Dockerfiles copy a bundle made beforehand, exactly as for the local stack.
  prepare: bundleImage,
  names: [
    "agent" as const,
    ...(config.coalescer ? [COALESCER_IMAGE] : []),
    ...(config.examples ? EXAMPLE_NAMES : []),
  ],
});

// The examples' names are claimed by their own task families unless the stack's owners say otherwise.
const serviceOwners = {
  ...(config.examples ? exampleServiceOwners(pulumi.getProject(), pulumi.getStack()) : {}),
  ...config.serviceOwners,
};

const discovery = new ServiceDiscovery("ecssd", {
  vpcId,
  privateSubnetIds,
  ...(network && { vpcCidr: network.cidrBlock }),
  clusterArn: cluster?.clusterArn ?? (brought as pulumi.Output<aws.ecs.GetClusterResult>).arn,
  ...(cluster && { instanceSecurityGroupId: cluster.instanceSecurityGroup.id }),
  ...(config.zoneId ? { zoneId: config.zoneId } : { zoneName: config.zoneName }),
  region: config.region,
  agentImage: images.imageUris.agent as pulumi.Output<string>,
  imagePlatform: platform,
  coalescer: config.coalescer,
  ...(config.coalescer && {
    coalescerImage: images.imageUris[COALESCER_IMAGE] as pulumi.Output<string>,
    route53Budget: config.route53Budget,
  }),
  srvTtl: config.srvTtl,
  reconciler: {
    schedule: config.reconcileSchedule,
    checkHealth: config.checkHealth,
    healthPath: config.healthPath,
    healthTimeoutMs: config.healthTimeoutMs,
    healthConcurrency: config.healthConcurrency,
    stopUnhealthyTasks: config.stopUnhealthyTasks,
    dryRun: config.dryRun,
    maxDeleteShare: config.maxDeleteShare,
  },
  logRetentionDays: config.logRetentionDays,
  ...(Object.keys(serviceOwners).length > 0 && { serviceOwners }),
  closedNamespace: config.closedNamespace,
  alarms: config.alarms && {
    staleHostSeconds: config.staleHostSeconds,
    ...(config.alarmTopicArn !== undefined && { topicArn: config.alarmTopicArn }),
  },
});

// The config allows the examples only with a cluster this program creates (config.ts says why).
const examples =
  config.examples && cluster
    ? new ExampleServices("ecssd-examples", {
        clusterArn: cluster.clusterArn,
        capacityProviderName: cluster.capacityProvider.name,
        capacityProviders: cluster.capacityProviders,
        vpcId,
        publicSubnetIds: config.existingVpc?.publicSubnetIds?.slice() ?? (network as Network).publicSubnetIds,
        instanceSecurityGroupId: cluster.instanceSecurityGroup.id,
        privateSubnetIds,
        architecture: cluster.architecture,
        images: Object.fromEntries(EXAMPLE_NAMES.map((n) => [n, images.imageUris[n]])) as Record<
          ExampleName,
          pulumi.Output<string>
        >,
        zoneName: discovery.zoneName,
        username: config.examplesUsername,
        password: config.examplesPassword as pulumi.Output<string>,
        region: config.region,
        srvTtl: config.srvTtl,
        logRetentionDays: config.logRetentionDays,
        certificateArn: config.certificateArn,
      })
    : undefined;

/** Open in a browser: the portal calls time and calc through service discovery. Undefined without the examples. */
export const portalUrl = examples?.portalUrl;
/** The private hosted zone holding the SRV and A records. */
export const zoneId = discovery.zoneId;
export const zoneName = discovery.zoneName;
/** The ECS cluster running the agent (and the examples). */
export const clusterName = cluster?.clusterName ?? config.clusterName;
/** Invoke it by hand: `aws lambda invoke --function-name <this> out.json`. */
export const reconcilerFunctionName = discovery.reconcilerFunctionName;
/** The registrar Lambda; undefined with the coalescer, which applies the task events itself. */
export const registrarFunctionName = discovery.registrarFunctionName;
/** What the agents send their changes to (inside the VPC); undefined without the coalescer. */
export const coalescerUrl = discovery.coalescerUrl;
/** The cluster's ECS task events on their way to the coalescer; undefined without it. */
export const taskEventsQueueUrl = discovery.coalescer?.taskEvents.queue.url;
/** The CloudWatch dashboard of every component's metrics; undefined with ecssd:alarms false. */
export const dashboardName = discovery.dashboardName;
/** What consumers give the resolver library: the zone and the DNS servers that answer for it. */
export const resolverSettings = discovery.resolverSettings;
