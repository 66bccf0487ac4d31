import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { formatServiceOwners, serviceOwnersFrom } from "../records/serviceOwners";
import { checkDeployment, deploymentFromName } from "../records/setIdentifier";
import { DEFAULT_ZONE } from "../records/zone";
import { AgentService } from "./agentService";
import { COALESCER_IMAGE, Coalescer } from "./coalescer";
import { existingPrivateZone, type ZoneRef } from "./existingZone";
import { bundleImage } from "./imageBundles";
import { type ImageName, Images } from "./images";
import { bundleLambda } from "./lambdaBundle";
import {
  LAMBDA_NODE_RUNTIMES,
  type LambdaNodeRuntime,
  RECONCILER_RUNTIME,
  REGISTRAR_RUNTIME,
} from "./lambdaRuntime";
import { type AlarmOptions, checkAlarmOptions, Observability } from "./observability";
import { parseClusterArn } from "./policies";
import { Reconciler, type ReconcilerBehaviour } from "./reconciler";
import { RecordCleanup } from "./recordCleanup";
import { Registrar } from "./registrar";
import { type Route53BudgetShares, route53BudgetFrom } from "./route53BudgetShares";
import { ServiceZone } from "./serviceZone";

/** The repository root: the build context of the images and the home of the reconciler's handler. */
const PACKAGE_ROOT = path.join(__dirname, "..");

/**
 * Route53 Resolver at its link-local address: every instance of a VPC with DNS support reaches it, and so
 * do bridge-mode containers through their host.
 */
export const VPC_RESOLVER = "169.254.169.253:53";

/** What a consumer gives the resolver library (`@ecssd/resolver`) and its services. */
export interface ResolverSettings {
  /** The zone the SRV records live in: a service is `_<service>._tcp.<zoneName>`. */
  readonly zoneName: string;
  /** DNS servers that answer for the zone, `host:port`. */
  readonly servers: readonly string[];
}

/** Arguments of {@link ServiceDiscovery}. */
export interface ServiceDiscoveryArgs {
  /** The VPC the cluster's instances run in (required). */
  readonly vpcId: pulumi.Input<string>;
  /** Private subnets with a route to the AWS APIs, for the reconciler (required). */
  readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The VPC's range, which the reconciler's health checks may reach. Default: read from AWS. */
  readonly vpcCidr?: pulumi.Input<string>;
  /** The ECS cluster (EC2 capacity) that gets the agent on every instance (required). */
  readonly clusterArn: pulumi.Input<string>;
  /**
   * The cluster instances' security group, opened here to the reconciler's health checks. Default: none;
   * open the instances' ephemeral ports to {@link ServiceDiscovery.reconcilerSecurityGroupId} yourself.
   */
  readonly instanceSecurityGroupId?: pulumi.Input<string>;
  /**
   * An existing private hosted zone associated with the VPC: used, never deleted, and on destroy cleared
   * of the record sets our writers made. Default: none, a zone named {@link zoneName} is created.
   */
  readonly zoneId?: pulumi.Input<string>;
  /** The domain of the zone created when no `zoneId` is given. Default: `servicediscovery.internal`. */
  readonly zoneName?: pulumi.Input<string>;
  /** The region of everything. Default: the `aws:region` of the stack. */
  readonly region?: string;
  /** The agent's image. Default: built from this repository's agent/Dockerfile and pushed to a new ECR repository. */
  readonly agentImage?: pulumi.Input<string>;
  /** Platform of the agent image built when none is given. Default: `linux/amd64`. */
  readonly imagePlatform?: pulumi.Input<string>;
  /** TTL of the SRV records, seconds. Default: 10. */
  readonly srvTtl?: number;
  /** The reconciler's behaviour (schedule, health checks, safety valve). Defaults: those of {@link Reconciler}. */
  readonly reconciler?: ReconcilerBehaviour;
  /** Days the logs are kept. Default: 14. */
  readonly logRetentionDays?: number;
  /**
   * Who may offer which service name: name → the ECS task-definition families allowed to register it, e.g.
   * `{ "_calc._tcp": ["calc", "calc-canary"] }`. The agent and the registrar refuse other families' claims
   * and the reconciler removes them. Names not listed are open to every task, unless `closedNamespace`.
   * Default: none.
   */
  readonly serviceOwners?: Readonly<Record<string, readonly string[]>>;
  /**
   * Close the namespace (ECSSD_SERVICE_OWNERS_CLOSED): a name `serviceOwners` does not list may be offered by
   * nobody; the writers refuse it and the reconciler removes it. Needs `serviceOwners` with at least one name.
   * Default: false, such names are open to every task.
   */
  readonly closedNamespace?: boolean;
  /**
   * This stack's mark in every SetIdentifier its writers make (ECSSD_DEPLOYMENT; 1 to 10 of a-z, 0-9, "-"):
   * each stack sharing a zone touches only its own record sets. Default: derived from the cluster's name
   * (records/deploymentFromName), unique per cluster.
   */
  readonly deployment?: string;
  /** A Route53-compatible API for the destroy-time cleanup instead of AWS (tests). Default: AWS. */
  readonly cleanupEndpoint?: pulumi.Input<string>;
  /**
   * One writer per zone, the coalescer: the agents send their changes to it and the cluster's task events reach it
   * through a queue, and it applies them all in shared Route53 batches within `route53Budget`. Costs one Fargate
   * task and one internal network load balancer. `false`: every agent writes its host's records and the registrar
   * Lambda its tasks', each on its own. Default: true.
   */
  readonly coalescer?: boolean;
  /**
   * The coalescer's shares of the account's Route53 rates, each above 0 and at most 1: `requests` of the request
   * rate, `changes` of the change-throughput rate. Default: `{ requests: 0.4, changes: 0.6 }`.
   */
  readonly route53Budget?: Partial<Route53BudgetShares>;
  /** The coalescer's image. Default: built from this repository's coalescer/Dockerfile, pushed to a new ECR repository. */
  readonly coalescerImage?: pulumi.Input<string>;
  /**
   * CloudWatch alarms (dead letters, reconciler errors and safety valve, Lambda errors, stale hosts, sustained
   * Route53 throttling, the zone above 80% of its record-set quota) and a dashboard of every metric the components
   * write. `false`: none; an object tunes them (`topicArn` to notify, `staleHostSeconds`, `throttledShare`).
   * Default: true, with the defaults of infra/observability.ts and no topic.
   */
  readonly alarms?: boolean | AlarmOptions;
}

/**
 * DNS-based service discovery added to an ECS cluster: the agent as a DAEMON service, the scheduled
 * reconciler, the registrar of awsvpc and Fargate tasks, their least-privilege roles scoped to the cluster and the zone, and the zone itself unless one
 * is given.
 *
 * @example
 * const sd = new ServiceDiscovery("sd", { vpcId, privateSubnetIds, clusterArn, zoneName: "sd.internal" });
 * export const zoneName = sd.zoneName;
 */
export class ServiceDiscovery extends pulumi.ComponentResource {
  readonly zoneId: pulumi.Output<string>;
  readonly zoneArn: pulumi.Output<string>;
  readonly zoneName: pulumi.Output<string>;
  /** Give these to consumers' resolvers. */
  readonly resolverSettings: pulumi.Output<ResolverSettings>;
  /** The zone this component created; undefined when it was given one. */
  readonly zone?: ServiceZone;
  /** The destroy-time cleanup of a given zone; undefined when the zone is this component's. */
  readonly recordCleanup?: RecordCleanup;
  readonly agent: AgentService;
  readonly reconciler: Reconciler;
  /** The zone's one writer; undefined when `coalescer` is false. */
  readonly coalescer?: Coalescer;
  /**
   * Keeps the records of the cluster's awsvpc and Fargate tasks, from ECS task events; undefined with the
   * coalescer, which applies those events itself.
   */
  readonly registrar?: Registrar;
  readonly reconcilerFunctionName: pulumi.Output<string>;
  /** The registrar Lambda's name; undefined with the coalescer. */
  readonly registrarFunctionName?: pulumi.Output<string>;
  /** The agents' ECSSD_COALESCER_URL; undefined without the coalescer. */
  readonly coalescerUrl?: pulumi.Output<string>;
  readonly reconcilerSecurityGroupId: pulumi.Output<string>;
  /** The alarms and the dashboard; undefined with `alarms: false`. */
  readonly observability?: Observability;
  /** The CloudWatch dashboard's name; undefined with `alarms: false`. */
  readonly dashboardName?: pulumi.Output<string>;

  constructor(name: string, args: ServiceDiscoveryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecssd:infra:ServiceDiscovery", name, {}, opts);
    const region = args.region ?? aws.config.requireRegion();
    const alarms = args.alarms === false ? undefined : args.alarms === true ? {} : (args.alarms ?? {});
    // Checked before anything is made.
    if (alarms !== undefined) checkAlarmOptions(alarms);
    // Stacks deployed before this component existed hold these components at the root of the stack.
    const child = { parent: this, aliases: [{ parent: pulumi.rootStackResource }] };

    // The one reading of cluster ARNs, the policies' own.
    const clusterName = pulumi.output(args.clusterArn).apply((arn) => parseClusterArn(arn).name);
    const deployment = deploymentOf(args.deployment, clusterName);
    const claimUnattributed = args.reconciler?.claimUnattributed ?? false;

    let zone: ZoneRef;
    if (args.zoneId !== undefined) {
      zone = existingPrivateZone(args.zoneId, args.vpcId, this);
      this.recordCleanup = new RecordCleanup(
        `${name}-record-cleanup`,
        {
          zoneId: zone.zoneId,
          deployment,
          claimUnattributed,
          ...(args.cleanupEndpoint !== undefined && { endpoint: args.cleanupEndpoint }),
        },
        { parent: this },
      );
    } else {
      this.zone = new ServiceZone(
        `${name}-zone`,
        { zoneName: args.zoneName ?? DEFAULT_ZONE, vpcId: args.vpcId, region },
        child,
      );
      zone = this.zone;
    }
    // Our writers depend on the cleanup, so destroy removes them before it clears the zone behind them.
    const writerOpts = { ...child, ...(this.recordCleanup && { dependsOn: [this.recordCleanup] }) };

    // One JSON text for every writer and the reconciler, validated here by the rules they read it with.
    const serviceOwners = args.serviceOwners === undefined ? undefined : ownersJson(args.serviceOwners);
    if (args.closedNamespace === true && Object.keys(args.serviceOwners ?? {}).length === 0) {
      throw new Error(
        "ServiceDiscovery: closedNamespace needs serviceOwners with at least one name: a closed namespace with none refuses every service",
      );
    }
    const owners = {
      ...(serviceOwners !== undefined && { serviceOwners }),
      ...(args.closedNamespace !== undefined && { serviceOwnersClosed: args.closedNamespace }),
    };

    // Read from AWS once when not given: the reconciler's checks reach it, and with no instance group the coalescer
    // admits it.
    const vpcCidr = args.vpcCidr ?? aws.ec2.getVpcOutput({ id: args.vpcId }, { parent: this }).cidrBlock;
    const coalescerOn = args.coalescer ?? true;
    const route53Budget = coalescerOn ? budgetOf(args.route53Budget) : undefined;
    const images = builtImages(
      [
        ...(args.agentImage === undefined ? (["agent"] as const) : []),
        ...(coalescerOn && args.coalescerImage === undefined ? [COALESCER_IMAGE] : []),
      ],
      `${name}-images`,
      args.imagePlatform,
      child,
    );
    const agentImage = args.agentImage ?? (images.agent as pulumi.Output<string>);

    // What every writer (and the reconciler) is told: the cluster, the zone, the region, the logs, the owners
    // and whether they close the namespace.
    const shared = {
      clusterArn: args.clusterArn,
      zoneId: zone.zoneId,
      zoneArn: zone.zoneArn,
      zoneName: zone.zoneName,
      region,
      ...(args.logRetentionDays !== undefined && { logRetentionDays: args.logRetentionDays }),
      ...owners,
      deployment,
    };
    const srvTtl = args.srvTtl !== undefined ? { srvTtl: args.srvTtl } : {};

    if (coalescerOn) {
      this.coalescer = new Coalescer(
        `${name}-coalescer`,
        {
          ...shared,
          ...srvTtl,
          image: args.coalescerImage ?? (images[COALESCER_IMAGE] as pulumi.Output<string>),
          ...(args.imagePlatform !== undefined && { imagePlatform: args.imagePlatform }),
          clusterName,
          vpcId: args.vpcId,
          vpcCidr,
          subnetIds: args.privateSubnetIds,
          ...(args.instanceSecurityGroupId !== undefined && {
            instanceSecurityGroupId: args.instanceSecurityGroupId,
          }),
          ...(route53Budget !== undefined && { route53Budget }),
        },
        writerOpts,
      );
      this.coalescerUrl = this.coalescer.url;
    }

    this.agent = new AgentService(
      `${name}-agent`,
      {
        ...shared,
        ...srvTtl,
        image: agentImage,
        ...(this.coalescer !== undefined && {
          coalescerUrl: this.coalescer.url,
          coalescerToken: this.coalescer.token.ref,
        }),
      },
      writerOpts,
    );

    this.reconciler = new Reconciler(
      `${name}-reconciler`,
      {
        ...args.reconciler,
        code: lambdaCode("reconciler", RECONCILER_RUNTIME),
        vpcId: args.vpcId,
        vpcCidr,
        subnetIds: args.privateSubnetIds,
        ...(args.instanceSecurityGroupId !== undefined && {
          instanceSecurityGroupId: args.instanceSecurityGroupId,
        }),
        ...shared,
        clusterName,
      },
      writerOpts,
    );

    // With the coalescer, the cluster's task events go to its queue instead of the registrar Lambda.
    if (!coalescerOn) {
      this.registrar = new Registrar(
        `${name}-registrar`,
        { ...shared, ...srvTtl, clusterName, code: lambdaCode("registrar", REGISTRAR_RUNTIME) },
        writerOpts,
      );
      this.registrarFunctionName = this.registrar.functionName;
    }

    if (alarms !== undefined) {
      const deadLetters = this.coalescer?.taskEvents.deadLetterQueue ?? this.registrar?.deadLetterQueue;
      this.observability = new Observability(
        `${name}-observability`,
        {
          ...alarms,
          clusterName,
          region,
          reconcilerFunctionName: this.reconciler.functionName,
          coalescer: coalescerOn,
          deadLetterQueueName: (deadLetters as aws.sqs.Queue).name,
          ...(this.registrar && { registrarFunctionName: this.registrar.functionName }),
          ...(this.coalescer && { taskEventsQueueName: this.coalescer.taskEvents.queue.name }),
        },
        { parent: this },
      );
      this.dashboardName = this.observability.dashboardName;
    }

    this.zoneId = zone.zoneId;
    this.zoneArn = zone.zoneArn;
    this.zoneName = zone.zoneName;
    this.resolverSettings = zone.zoneName.apply((zoneName) => ({ zoneName, servers: [VPC_RESOLVER] }));
    this.reconcilerFunctionName = this.reconciler.functionName;
    this.reconcilerSecurityGroupId = this.reconciler.securityGroup.id;
    this.registerOutputs({
      zoneId: this.zoneId,
      zoneName: this.zoneName,
      resolverSettings: this.resolverSettings,
      reconcilerFunctionName: this.reconcilerFunctionName,
      registrarFunctionName: this.registrarFunctionName,
      coalescerUrl: this.coalescerUrl,
      dashboardName: this.dashboardName,
    });
  }
}

/** The images this component builds itself (those it was not given), by name. */
function builtImages(
  names: readonly ImageName[],
  name: string,
  platform: pulumi.Input<string> | undefined,
  opts: pulumi.ComponentResourceOptions,
): Partial<Record<ImageName, pulumi.Output<string>>> {
  if (names.length === 0) return {};
  return new Images(
    name,
    {
      names,
      context: PACKAGE_ROOT,
      prepare: bundleImage,
      ...(platform !== undefined && { platform }),
    },
    opts,
  ).imageUris;
}

/** The coalescer's budget, defaults filled in; throws naming every problem. */
function budgetOf(given: Partial<Route53BudgetShares> | undefined): Route53BudgetShares {
  const checked = route53BudgetFrom(given ?? {});
  if ("problems" in checked) {
    throw new Error(
      `ServiceDiscovery: invalid route53Budget:\n${checked.problems.map((p) => ` - ${p}`).join("\n")}`,
    );
  }
  return checked.budget;
}

/** The stack's deployment mark: the one given (checked now), or the cluster name's. */
function deploymentOf(given: string | undefined, clusterName: pulumi.Output<string>): pulumi.Output<string> {
  if (given === undefined) return clusterName.apply(deploymentFromName);
  const p = checkDeployment(given);
  if (p) throw new Error(`ServiceDiscovery: invalid deployment:\n - ${p.message}`);
  return pulumi.output(given);
}

/** The owners map as the writers' JSON setting; throws naming every problem (records/serviceOwners.ts). */
function ownersJson(owners: Readonly<Record<string, readonly string[]>>): string {
  const checked = serviceOwnersFrom(owners);
  if ("problems" in checked) {
    throw new Error(
      `ServiceDiscovery: invalid serviceOwners:\n${checked.problems.map((p) => ` - ${p.message}`).join("\n")}`,
    );
  }
  return formatServiceOwners(owners);
}

/** A Lambda's code: `<folder>/handler.ts` of this repository, bundled for the runtime it is deployed on. */
function lambdaCode(
  folder: "reconciler" | "registrar",
  runtime: LambdaNodeRuntime,
): pulumi.asset.AssetArchive {
  const bundle = bundleLambda(path.join(PACKAGE_ROOT, folder, "handler.ts"), {
    target: LAMBDA_NODE_RUNTIMES[runtime].esbuildTarget,
  });
  return new pulumi.asset.AssetArchive({ [bundle.fileName]: new pulumi.asset.StringAsset(bundle.code) });
}
