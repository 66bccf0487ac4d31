import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EXAMPLE_SERVICES } from "../examples/manifest";
import { EPHEMERAL_PORT_RANGES } from "./ephemeralPorts";
import { childMovedInto } from "./movedResources";

/** The listener the portal is published on over HTTP (or, with a certificate, redirected from). */
export const PORTAL_LISTENER_PORT = 80;
/** The listener the portal is published on over HTTPS, when the stack has a certificate. */
export const PORTAL_HTTPS_PORT = 443;
/** TLS 1.3 and 1.2 with forward-secret ciphers only: ELB's recommended policy for clients of the last years. */
export const PORTAL_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/** Arguments of {@link ExamplesLoadBalancer}. */
export interface ExamplesLoadBalancerArgs {
  readonly vpcId: pulumi.Input<string>;
  /** Public subnets for the load balancer (required). */
  readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The container instances' group, opened to the load balancer on dynamic host ports. */
  readonly instanceSecurityGroupId: pulumi.Input<string>;
  /** An ACM certificate of the region: the portal is served over HTTPS and HTTP redirects to it. Default: HTTP only. */
  readonly certificateArn?: pulumi.Input<string>;
}

/**
 * The portal's public Application Load Balancer: the only thing of the examples reachable from the internet,
 * and only on its listener ports; it reaches the portal's tasks on the instances' dynamic host ports. Children
 * keep the names and URNs they had directly under ExampleServices (see movedResources.ts).
 */
export class ExamplesLoadBalancer extends pulumi.ComponentResource {
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly loadBalancer: aws.lb.LoadBalancer;
  /** The portal's target group; ECS registers each portal task in it. */
  readonly targetGroup: aws.lb.TargetGroup;
  /** The HTTP listener: it forwards to the portal, or with a certificate redirects to {@link httpsListener}. */
  readonly listener: aws.lb.Listener;
  /** The HTTPS listener, only with a certificate. */
  readonly httpsListener?: aws.lb.Listener;
  /** The listener that forwards to the target group: the portal's service waits for it. */
  readonly portalListener: aws.lb.Listener;
  /** `http://<load balancer DNS name>`, or `https://` with a certificate. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: ExamplesLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecssd:infra:ExamplesLoadBalancer", name, {}, opts);
    const child = childMovedInto(this, opts);
    const https = args.certificateArn !== undefined;

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-lb-sg`,
      { vpcId: args.vpcId, description: "ecssd portal load balancer", revokeRulesOnDelete: true },
      child,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-lb-from-internet`,
      {
        securityGroupId: this.securityGroup.id,
        ipProtocol: "tcp",
        fromPort: PORTAL_LISTENER_PORT,
        toPort: PORTAL_LISTENER_PORT,
        cidrIpv4: "0.0.0.0/0",
        description: https ? "portal over HTTP, redirected to HTTPS" : "portal over HTTP",
      },
      child,
    );
    if (https) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-lb-from-internet-https`,
        {
          securityGroupId: this.securityGroup.id,
          ipProtocol: "tcp",
          fromPort: PORTAL_HTTPS_PORT,
          toPort: PORTAL_HTTPS_PORT,
          cidrIpv4: "0.0.0.0/0",
          description: "portal over HTTPS",
        },
        child,
      );
    }
    for (const range of EPHEMERAL_PORT_RANGES) {
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-lb-to-instances${range.suffix}`,
        {
          securityGroupId: this.securityGroup.id,
          referencedSecurityGroupId: args.instanceSecurityGroupId,
          ipProtocol: "tcp",
          fromPort: range.from,
          toPort: range.to,
          description: "portal tasks on dynamic host ports",
        },
        child,
      );
    }
    for (const range of EPHEMERAL_PORT_RANGES) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-instances-from-lb${range.suffix}`,
        {
          securityGroupId: args.instanceSecurityGroupId,
          referencedSecurityGroupId: this.securityGroup.id,
          ipProtocol: "tcp",
          fromPort: range.from,
          toPort: range.to,
          description: "load balancer to portal tasks",
        },
        child,
      );
    }

    this.loadBalancer = new aws.lb.LoadBalancer(
      `${name}-lb`,
      {
        loadBalancerType: "application",
        internal: false,
        subnets: args.publicSubnetIds,
        securityGroups: [this.securityGroup.id],
        dropInvalidHeaderFields: true,
      },
      child,
    );
    this.targetGroup = new aws.lb.TargetGroup(
      `${name}-portal-tg`,
      {
        vpcId: args.vpcId,
        targetType: "instance",
        protocol: "HTTP",
        // With dynamic host ports ECS registers each task's own port; this one is nominal.
        port: EXAMPLE_SERVICES.portal.containerPort,
        deregistrationDelay: 15,
        // /health needs no credentials and answers 503 while a task drains after SIGTERM.
        healthCheck: {
          path: EXAMPLE_SERVICES.portal.healthPath,
          matcher: "200",
          interval: 15,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
        },
      },
      child,
    );
    const forward = { type: "forward", targetGroupArn: this.targetGroup.arn };
    this.listener = new aws.lb.Listener(
      `${name}-http`,
      {
        loadBalancerArn: this.loadBalancer.arn,
        port: PORTAL_LISTENER_PORT,
        protocol: "HTTP",
        defaultActions: [
          https
            ? {
                type: "redirect",
                redirect: { protocol: "HTTPS", port: String(PORTAL_HTTPS_PORT), statusCode: "HTTP_301" },
              }
            : forward,
        ],
      },
      child,
    );
    if (args.certificateArn !== undefined) {
      this.httpsListener = new aws.lb.Listener(
        `${name}-https`,
        {
          loadBalancerArn: this.loadBalancer.arn,
          port: PORTAL_HTTPS_PORT,
          protocol: "HTTPS",
          certificateArn: args.certificateArn,
          sslPolicy: PORTAL_TLS_POLICY,
          defaultActions: [forward],
        },
        child,
      );
    }
    this.portalListener = this.httpsListener ?? this.listener;
    this.url = pulumi.interpolate`${https ? "https" : "http"}://${this.loadBalancer.dnsName}`;
    this.registerOutputs({ url: this.url });
  }
}
