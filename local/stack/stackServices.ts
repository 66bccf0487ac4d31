// The local stack's example containers: the container definition the Pulumi program computes for ECS
// (infra/containerDefinitions.ts, from examples/manifest.ts), with what this machine supplies in place of
// AWS, translated into Docker's create options. Pure: the stack passes the result to the engine.
import type { ContainerCreateOptions } from "dockerode";
import { ECS_FAMILY_LABEL, ECS_TASK_ARN_LABEL } from "../../agent/desiredState";
import { type ExampleName, exampleService } from "../../examples/manifest";
import { type ContainerDefinition, exampleServiceContainer } from "../../infra/containerDefinitions";
import { DEFAULT_SRV_TTL } from "../../records/zone";
import { containerDefinitionToDocker } from "./containerDefinitionToDocker";

/** Marks every container of a stack, so that `stack down` removes exactly what the stack started. */
export const STACK_LABEL = "ecssd.stack";
/** The host id of this machine in the zone; its A record points at loopback (DESIGN.md, local stack). */
export const LOCAL_HOST_ID = "local";

/** What the local stack knows when it starts an example container. */
export interface LocalExampleInputs {
  /** The value of {@link STACK_LABEL}. */
  readonly stackName: string;
  readonly image: string;
  readonly zoneName: string;
  /** The local zone's DNS port on 127.0.0.1, where the portal looks its callees up. */
  readonly dnsPort: number;
  /** Where the portal listens on this machine. */
  readonly portalPort: number;
  readonly username: string;
  readonly password: string;
}

/** The task an example container belongs to, as ECS would label it. */
export interface LocalEcsTask {
  readonly taskArn: string;
  readonly family: string;
}

/** One example container as ECS would run it, and as the local engine is asked to. */
export interface LocalExampleContainer {
  /** What `pulumi up` puts in the task definition, with a local image and placeholder AWS references. */
  readonly definition: ContainerDefinition;
  readonly options: ContainerCreateOptions;
}

/**
 * The create options of one example container. The definition is computed exactly as for ECS; this
 * machine then adds only what ECS or AWS would supply: the credentials' values (ECS reads them from SSM),
 * HOST_ID (on ECS the service reads the instance's name), the stack label, and for the portal what stands
 * in for the load balancer (see below).
 */
export function localExampleContainer(
  example: ExampleName,
  containerName: string,
  inputs: LocalExampleInputs,
  ecsTask?: LocalEcsTask,
): LocalExampleContainer {
  const definition = localDefinition(example, inputs, "bridge");
  const common = {
    name: containerName,
    secretValues: { AUTH_USERNAME: inputs.username, AUTH_PASSWORD: inputs.password },
    // ECS labels every container of a task with the task and its family; the agent confirms them with ECS.
    labels: {
      [STACK_LABEL]: inputs.stackName,
      ...(ecsTask && { [ECS_TASK_ARN_LABEL]: ecsTask.taskArn, [ECS_FAMILY_LABEL]: ecsTask.family }),
    },
  };
  // A consumer reached from outside (ECS: through the load balancer) shares this machine's network here:
  // the zone's DNS server and the services' published ports are on the machine's loopback, out of a
  // bridge network's reach. It listens on the port the stack publishes it on, on loopback only: sharing the
  // machine's network must not put the portal on every interface of a developer's machine.
  const consumer = exampleService(example).offers === undefined;
  const options = containerDefinitionToDocker(
    definition,
    consumer
      ? {
          ...common,
          networkMode: "host",
          environment: {
            HOST_ID: LOCAL_HOST_ID,
            PORT: String(inputs.portalPort),
            LISTEN_ADDRESS: "127.0.0.1",
            DNS_SERVERS: `127.0.0.1:${inputs.dnsPort}`,
            // On a developer's own machine, on loopback, which instance answered is the point of the demo (and
            // what the local stack's tests read); on AWS the portal faces the internet and keeps it hidden.
            PORTAL_SHOW_UPSTREAM: "true",
          },
        }
      : { ...common, networkMode: "bridge", environment: { HOST_ID: LOCAL_HOST_ID } },
  );
  return { definition, options };
}

/** The container definition the program computes for `example` (bridge, or its Fargate variant), locally. */
export function localDefinition(
  example: ExampleName,
  inputs: Pick<LocalExampleInputs, "image" | "zoneName" | "stackName">,
  networkMode: "bridge" | "awsvpc",
): ContainerDefinition {
  return exampleServiceContainer(example, {
    image: inputs.image,
    zoneName: inputs.zoneName,
    // The local agent runs with its default TTL, as the Pulumi program does without ecssd:srvTtl.
    srvTtl: DEFAULT_SRV_TTL,
    // Secrets are resolved by name below; these references are never read.
    credentials: { usernameArn: "local:examples/username", passwordArn: "local:examples/password" },
    // Docker keeps its own log driver (`docker logs`); the translation does not carry this over.
    log: { logGroupName: `ecssd-${inputs.stackName}`, region: "local" },
    networkMode,
  });
}
