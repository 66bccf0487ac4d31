// ECS container definitions, computed by pure functions (no resources, no Outputs): the Pulumi program
// puts them in task definitions, and the local stack translates the very same ones into Docker's create
// options (local/stack/containerDefinitionToDocker.ts), so what runs locally is what `pulumi up` deploys.
import { agentEnvironment } from "../agent/config";
import { COALESCER_TOKEN } from "../coalescer/apiToken";
import { coalescerEnvironment } from "../coalescer/config";
import { calleeEnvironment, type ExampleName, exampleService } from "../examples/manifest";
import { serviceDeclarationEnv } from "../records/serviceDeclarations";
import type { Route53BudgetShares } from "./route53BudgetShares";
import { ownershipSettings } from "./zoneWriterArgs";

/** The subset of an ECS container definition this program writes. */
export interface ContainerDefinition {
  readonly name: string;
  readonly image: string;
  readonly essential: boolean;
  readonly cpu: number;
  readonly memory: number;
  readonly memoryReservation?: number;
  readonly user?: string;
  readonly environment: readonly { readonly name: string; readonly value: string }[];
  readonly dockerLabels?: Readonly<Record<string, string>>;
  readonly secrets?: readonly { readonly name: string; readonly valueFrom: string }[];
  readonly portMappings?: readonly {
    readonly containerPort: number;
    readonly hostPort: number;
    readonly protocol: "tcp";
  }[];
  readonly mountPoints?: readonly {
    readonly sourceVolume: string;
    readonly containerPath: string;
    readonly readOnly: boolean;
  }[];
  readonly healthCheck?: {
    readonly command: readonly string[];
    readonly interval: number;
    readonly timeout: number;
    readonly retries: number;
    readonly startPeriod: number;
  };
  readonly stopTimeout?: number;
  readonly logConfiguration: {
    readonly logDriver: "awslogs";
    readonly options: Readonly<Record<string, string>>;
  };
}

/** Where a container's stdout/stderr go. */
export interface LogTarget {
  readonly logGroupName: string;
  readonly region: string;
}

/** The volume name under which the task definition exposes the host's Docker socket. */
export const DOCKER_SOCKET_VOLUME = "docker-socket";
/** The Docker socket, at the same path on the host and in the agent container. */
export const DOCKER_SOCKET_PATH = "/var/run/docker.sock";

function awslogs(log: LogTarget, prefix: string): ContainerDefinition["logConfiguration"] {
  return {
    logDriver: "awslogs",
    options: {
      "awslogs-group": log.logGroupName,
      "awslogs-region": log.region,
      "awslogs-stream-prefix": prefix,
    },
  };
}

/** What the agent container needs. */
export interface AgentContainerSpec {
  readonly image: string;
  readonly zoneName: string;
  readonly zoneId: string;
  readonly srvTtl: number;
  readonly log: LogTarget;
  /** ECSSD_SERVICE_OWNERS (records/serviceOwners.ts, JSON): who may offer which name; none: every name is open. */
  readonly serviceOwners?: string;
  /** ECSSD_SERVICE_OWNERS_CLOSED: names `serviceOwners` does not list may be offered by nobody; unset: by anyone. */
  readonly serviceOwnersClosed?: boolean;
  /** ECSSD_DEPLOYMENT: the stack's mark in every SetIdentifier the agent writes. */
  readonly deployment?: string;
  /** ECSSD_COALESCER_URL: the agent sends its changes there instead of calling Route53. Default: none. */
  readonly coalescerUrl?: string;
  /** The SSM parameter of the coalescer's token, handed over as the ECS secret ECSSD_COALESCER_TOKEN. */
  readonly coalescerTokenArn?: string;
}

/**
 * The coalescer's token as an ECS secret: ECS reads it with the task execution role when the task starts, so it
 * never sits in the task definition, and the container sees it as ECSSD_COALESCER_TOKEN.
 */
export function coalescerTokenSecrets(
  parameterArn: string | undefined,
): Pick<ContainerDefinition, "secrets"> | undefined {
  return parameterArn === undefined
    ? undefined
    : { secrets: [{ name: COALESCER_TOKEN.env, valueFrom: parameterArn }] };
}

/**
 * The agent's container: host network mode (set on the task definition) so IMDSv2 answers it
 * with a hop limit of 1, and the Docker socket mounted so it can watch containers.
 */
export function agentContainer(spec: AgentContainerSpec): ContainerDefinition {
  return {
    name: "agent",
    image: spec.image,
    essential: true,
    cpu: 64,
    memory: 256,
    memoryReservation: 96,
    // The socket is root:docker on the host and the docker group id differs between AMIs; access to
    // it is root-equivalent anyway, so running as root in the container grants nothing more.
    user: "0",
    environment: Object.entries(
      agentEnvironment({
        zoneName: spec.zoneName,
        zoneId: spec.zoneId,
        srvTtl: spec.srvTtl,
        ...ownershipSettings(spec),
        ...(spec.coalescerUrl !== undefined && { coalescerUrl: spec.coalescerUrl }),
      }),
    ).map(([name, value]) => ({ name, value })),
    ...coalescerTokenSecrets(spec.coalescerTokenArn),
    mountPoints: [{ sourceVolume: DOCKER_SOCKET_VOLUME, containerPath: DOCKER_SOCKET_PATH, readOnly: false }],
    // SIGTERM makes the agent flush pending changes before it exits.
    stopTimeout: 30,
    logConfiguration: awslogs(spec.log, "agent"),
  };
}

/** The port the coalescer serves the agents on (ECSSD_COALESCER_PORT), behind its load balancer too. */
export const COALESCER_PORT = 8053;

/** What the coalescer's container needs. */
export interface CoalescerContainerSpec {
  readonly image: string;
  readonly zoneName: string;
  readonly zoneId: string;
  /** The region of its task-event queue (Route53 itself is global). */
  readonly region: string;
  /** The cluster whose task events it applies, as the registrar would. */
  readonly clusterName: string;
  readonly srvTtl: number;
  /** ECSSD_ROUTE53_BUDGET: its shares of the account's Route53 rates. */
  readonly route53Budget: Route53BudgetShares;
  /** ECSSD_TASK_EVENTS_QUEUE_URL: the queue of the cluster's ECS task state change events. */
  readonly taskEventsQueueUrl: string;
  readonly log: LogTarget;
  readonly serviceOwners?: string;
  readonly serviceOwnersClosed?: boolean;
  readonly deployment?: string;
  /** The SSM parameter of its token, handed over as the ECS secret ECSSD_COALESCER_TOKEN. */
  readonly tokenArn?: string;
}

/**
 * The coalescer's settings as its environment: the registrar's record settings exactly as the registrar Lambda
 * gets them (it applies the same task events with the same core), and its own. Written by the coalescer's own
 * codec (`coalescerEnvironment` of coalescer/config.ts), which refuses a value the coalescer would; only the AWS
 * SDK's region is added here, as it is no setting of the coalescer's.
 */
export function coalescerEnvironmentOf(
  spec: Omit<CoalescerContainerSpec, "image" | "log" | "tokenArn">,
): Record<string, string> {
  return {
    ...coalescerEnvironment({
      zoneName: spec.zoneName,
      zoneId: spec.zoneId,
      clusters: [spec.clusterName],
      srvTtl: spec.srvTtl,
      ...ownershipSettings(spec),
      port: COALESCER_PORT,
      route53Budget: spec.route53Budget,
      taskEventsQueueUrl: spec.taskEventsQueueUrl,
    }),
    // The AWS SDK's own variable: the SQS and ECS clients need the region of the queue and the cluster.
    AWS_REGION: spec.region,
  };
}

/**
 * The coalescer's container: the zone's one writer, serving the agents on {@link COALESCER_PORT}. The task is
 * 0.25 vCPU / 512 MiB (set on the task definition); the container takes all of it.
 */
export function coalescerContainer(spec: CoalescerContainerSpec): ContainerDefinition {
  const { image, log, tokenArn, ...settings } = spec;
  return {
    name: "coalescer",
    image,
    essential: true,
    cpu: 256,
    memory: 512,
    // It listens on an unprivileged port and writes no file: no reason to be root.
    user: "1000",
    environment: Object.entries(coalescerEnvironmentOf(settings)).map(([name, value]) => ({ name, value })),
    ...coalescerTokenSecrets(tokenArn),
    portMappings: [{ containerPort: COALESCER_PORT, hostPort: COALESCER_PORT, protocol: "tcp" }],
    // SIGTERM: it stops taking requests and lets the submits in flight finish (up to 30 s) before it exits.
    stopTimeout: 45,
    logConfiguration: awslogs(log, "coalescer"),
  };
}

/** ARNs of the SSM parameters that hold the example services' basic-auth credentials. */
export interface CredentialRefs {
  readonly usernameArn: string;
  readonly passwordArn: string;
}

/** What an example service container needs. */
export interface ExampleContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly containerPort: number;
  /** The SRV service this container offers (`_time._tcp`); none for consumers such as the portal. */
  readonly offers?: string;
  /** A path answering 2xx without credentials; becomes a Docker HEALTHCHECK the agent waits for. */
  readonly healthPath?: string;
  /** `http`: the agent also checks the offer on `healthPath` (SERVICE_<port>_CHECK_HTTP), every few seconds. */
  readonly agentCheck?: "http";
  readonly environment?: Readonly<Record<string, string>>;
  readonly credentials: CredentialRefs;
  /** Seconds ECS waits after SIGTERM before SIGKILL; see {@link stopTimeoutFor}. */
  readonly stopTimeout: number;
  readonly log: LogTarget;
  /**
   * `bridge` (default): a dynamic host port, registered by the agent. `awsvpc`: the task's own address, the
   * host port is the container port (as awsvpc requires), registered by the registrar.
   */
  readonly networkMode?: "bridge" | "awsvpc";
}

/**
 * Seconds between SIGTERM and SIGKILL for a service whose records live `srvTtl` seconds: the
 * service keeps answering for a drain period of at least one TTL after it left DNS, plus margin.
 * ECS caps the value at 120 s.
 */
export function stopTimeoutFor(srvTtl: number): number {
  return Math.min(120, Math.max(30, srvTtl + 20));
}

/**
 * An example service container: bridge mode with a dynamic host port (hostPort 0), the SRV
 * offer as `SERVICE_<port>_NAME` (the record contract's input), and the credentials as ECS
 * secrets resolved by the execution role at start, so they never sit in the task definition.
 */
export function exampleContainer(spec: ExampleContainerSpec): ContainerDefinition {
  // The record contract writes the declaration (and refuses one the agent would not read back).
  const declaration =
    spec.offers !== undefined
      ? serviceDeclarationEnv({
          containerPort: spec.containerPort,
          srvName: spec.offers,
          ...(spec.agentCheck === "http" && spec.healthPath !== undefined
            ? { check: { http: spec.healthPath } }
            : {}),
        })
      : {};
  const environment = Object.entries({ ...declaration, ...spec.environment }).map(([name, value]) => ({
    name,
    value,
  }));
  for (const { name } of environment) {
    if (name === "AUTH_USERNAME" || name === "AUTH_PASSWORD") {
      throw new Error(`exampleContainer: ${name} must be a secret, not environment`);
    }
  }
  const probe = spec.healthPath
    ? `fetch("http://127.0.0.1:${spec.containerPort}${spec.healthPath}",{signal:AbortSignal.timeout(3000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`
    : undefined;
  return {
    name: spec.name,
    image: spec.image,
    essential: true,
    cpu: 128,
    memory: 256,
    environment,
    secrets: [
      { name: "AUTH_USERNAME", valueFrom: spec.credentials.usernameArn },
      { name: "AUTH_PASSWORD", valueFrom: spec.credentials.passwordArn },
    ],
    portMappings: [
      {
        containerPort: spec.containerPort,
        hostPort: spec.networkMode === "awsvpc" ? spec.containerPort : 0,
        protocol: "tcp",
      },
    ],
    // The images hold node and nothing else (no shell, no curl): probe with node itself.
    ...(probe
      ? {
          healthCheck: {
            command: ["CMD", "node", "-e", probe],
            interval: 10,
            timeout: 5,
            retries: 3,
            startPeriod: 10,
          },
        }
      : {}),
    stopTimeout: spec.stopTimeout,
    logConfiguration: awslogs(spec.log, spec.name),
  };
}

/** Where and how an example service is deployed: everything its container needs beyond the manifest. */
export interface ExampleDeployment {
  readonly image: string;
  /** The zone its callees are found in. */
  readonly zoneName: string;
  /** The SRV TTL, which sets the stop timeout ({@link stopTimeoutFor}). */
  readonly srvTtl: number;
  readonly credentials: CredentialRefs;
  readonly log: LogTarget;
  /** Default `bridge`; `awsvpc` for the Fargate variant ({@link ExampleServiceSpec.fargateCount}). */
  readonly networkMode?: "bridge" | "awsvpc";
}

/**
 * The container of one example service as the manifest (examples/manifest.ts) describes it: its port,
 * its SRV offer with a health check on its health path, and where to find the services it calls.
 */
export function exampleServiceContainer(
  example: ExampleName,
  deployment: ExampleDeployment,
): ContainerDefinition {
  const spec = exampleService(example);
  return exampleContainer({
    name: example,
    image: deployment.image,
    containerPort: spec.containerPort,
    // Only an SRV offer gets a container health check: the agent waits for it before registering.
    // A consumer is probed by whatever sends it traffic (the portal: the load balancer).
    ...(spec.offers !== undefined ? { offers: spec.offers, healthPath: spec.healthPath } : {}),
    ...("agentCheck" in spec ? { agentCheck: spec.agentCheck } : {}),
    environment: calleeEnvironment(example, deployment.zoneName),
    credentials: deployment.credentials,
    stopTimeout: stopTimeoutFor(deployment.srvTtl),
    log: deployment.log,
    ...(deployment.networkMode !== undefined && { networkMode: deployment.networkMode }),
  });
}
