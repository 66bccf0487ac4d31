// Translates an ECS container definition (as the Pulumi program computes it) into Docker's create
// options, so that the local stack runs what `pulumi up` deploys. Pure: no engine, no I/O.
import type { ContainerCreateOptions } from "dockerode";
import type { ContainerDefinition } from "../../infra/containerDefinitions";

/** What the local machine supplies where ECS and AWS would. */
export interface LocalPlatform {
  /** The container's name. */
  readonly name: string;
  /** The value of each of the definition's `secrets`, by variable name: what ECS reads from SSM at start. */
  readonly secretValues: Readonly<Record<string, string>>;
  /** Variables the platform adds (as the ECS agent adds its metadata variables); may not override the definition's. */
  readonly environment?: Readonly<Record<string, string>>;
  /** Labels the platform adds (as ECS adds its own); may not override the definition's `dockerLabels`. */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * `bridge` as ECS's bridge mode; `host` shares the machine's network, where ports are not published;
   * `container:<id>` joins another container's network, as ECS runs an awsvpc task's containers in the
   * namespace of its pause container (which publishes the ports). Default `bridge`.
   */
  readonly networkMode?: "bridge" | "host" | `container:${string}`;
  /** The address published ports bind to. Default `127.0.0.1`: nothing is reachable from outside. */
  readonly hostIp?: string;
}

/** A container definition the local machine cannot run as ECS would. */
export class ContainerDefinitionError extends Error {
  override readonly name = "ContainerDefinitionError";
}

const NANOS_PER_SECOND = 1_000_000_000;
const BYTES_PER_MIB = 1024 * 1024;

/**
 * Docker's create options for `definition`: environment with the secrets' values, labels, ports (ECS's
 * dynamic host port 0 becomes Docker's ephemeral `HostPort: ""`), health check (seconds become
 * nanoseconds), stop timeout, user, and ECS's cpu units and MiB as cpu shares and bytes. The log
 * configuration is left to the engine (`docker logs`). Throws {@link ContainerDefinitionError} naming
 * every field it cannot carry over.
 */
export function containerDefinitionToDocker(
  definition: ContainerDefinition,
  platform: LocalPlatform,
): ContainerCreateOptions {
  const problems: string[] = [];
  const networkMode = platform.networkMode ?? "bridge";

  const env = new Map(definition.environment.map((e) => [e.name, e.value]));
  for (const secret of definition.secrets ?? []) {
    const value = platform.secretValues[secret.name];
    if (value === undefined) problems.push(`[secrets] no value for ${secret.name}`);
    else env.set(secret.name, value);
  }
  for (const [name, value] of Object.entries(platform.environment ?? {})) {
    if (env.has(name)) problems.push(`[environment] the platform may not override ${name}`);
    else env.set(name, value);
  }

  const labels: Record<string, string> = { ...definition.dockerLabels };
  for (const [name, value] of Object.entries(platform.labels ?? {})) {
    if (Object.hasOwn(labels, name)) problems.push(`[dockerLabels] the platform may not override ${name}`);
    else labels[name] = value;
  }

  if ((definition.mountPoints ?? []).length > 0) {
    problems.push("[mountPoints] volumes are not translated; run this container elsewhere");
  }

  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const mapping of definition.portMappings ?? []) {
    const key = `${mapping.containerPort}/${mapping.protocol}`;
    // Docker refuses exposed ports on a container that joins another's network: the owner publishes them.
    if (networkMode.startsWith("container:")) continue;
    exposed[key] = {};
    if (networkMode === "host") {
      // As in ECS's host mode, the container's port is the host's: nothing to publish.
      if (mapping.hostPort !== 0 && mapping.hostPort !== mapping.containerPort) {
        problems.push(`[portMappings] host mode cannot map ${key} to host port ${mapping.hostPort}`);
      }
      continue;
    }
    bindings[key] = [
      {
        HostIp: platform.hostIp ?? "127.0.0.1",
        HostPort: mapping.hostPort === 0 ? "" : String(mapping.hostPort),
      },
    ];
  }

  if (problems.length > 0) {
    throw new ContainerDefinitionError(
      `Cannot run container ${definition.name} locally:\n - ${problems.join("\n - ")}`,
    );
  }

  const health = definition.healthCheck;
  return {
    name: platform.name,
    Image: definition.image,
    Env: [...env].map(([name, value]) => `${name}=${value}`),
    Labels: labels,
    ...(definition.user !== undefined ? { User: definition.user } : {}),
    ...(Object.keys(exposed).length > 0 ? { ExposedPorts: exposed } : {}),
    ...(definition.stopTimeout !== undefined ? { StopTimeout: definition.stopTimeout } : {}),
    ...(health
      ? {
          Healthcheck: {
            Test: [...health.command],
            Interval: health.interval * NANOS_PER_SECOND,
            Timeout: health.timeout * NANOS_PER_SECOND,
            Retries: health.retries,
            StartPeriod: health.startPeriod * NANOS_PER_SECOND,
          },
        }
      : {}),
    HostConfig: {
      NetworkMode: networkMode,
      ...(Object.keys(bindings).length > 0 ? { PortBindings: bindings } : {}),
      CpuShares: definition.cpu,
      Memory: definition.memory * BYTES_PER_MIB,
      ...(definition.memoryReservation !== undefined
        ? { MemoryReservation: definition.memoryReservation * BYTES_PER_MIB }
        : {}),
    },
  };
}
