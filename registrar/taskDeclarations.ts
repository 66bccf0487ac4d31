// What an awsvpc task offers: the SERVICE_<port>_* declarations of each of its containers, read from the task
// definition (environment and docker labels) with the task's environment overrides applied, through the same
// parser the agent uses, so a declaration means the same whichever writer reads it.
// Pure: the task definition comes in as DescribeTaskDefinition returns it (only the fields read here).
import { type ContainerDeclarations, parseServiceDeclarations } from "../records";
import type { TaskStateChange } from "./taskStateChange";

/** The fields of DescribeTaskDefinition's `taskDefinition` the registrar reads. */
export interface TaskDefinitionShape {
  taskDefinitionArn?: string;
  family?: string;
  networkMode?: string;
  containerDefinitions?: {
    name?: string;
    environment?: { name?: string; value?: string }[];
    dockerLabels?: Record<string, string>;
    healthCheck?: { command?: string[] };
  }[];
}

export interface ContainerOffer {
  container: string;
  /** True when the container has an ECS health check: it is registered only once ECS calls it HEALTHY. */
  hasHealthCheck: boolean;
  declarations: ContainerDeclarations;
}

/** True for the network mode whose tasks the registrar owns; bridge and host tasks belong to the agent. */
export function isAwsvpc(definition: TaskDefinitionShape): boolean {
  return definition.networkMode === "awsvpc";
}

/**
 * The offers of every container of the task. An override replaces the task definition's variable of the same
 * name, as ECS does when it starts the container.
 */
export function taskOffers(
  definition: TaskDefinitionShape,
  overrides: TaskStateChange["containerOverrides"] = [],
): ContainerOffer[] {
  return (definition.containerDefinitions ?? []).map((c, i) => {
    const container = c.name ?? `container ${i}`;
    const env = new Map<string, string>();
    for (const kv of c.environment ?? []) {
      if (kv.name !== undefined) env.set(kv.name, kv.value ?? "");
    }
    for (const o of overrides) {
      if (o.name === c.name) for (const [k, v] of o.environment) env.set(k, v);
    }
    const envList = [...env].map(([k, v]) => `${k}=${v}`);
    return {
      container,
      hasHealthCheck: (c.healthCheck?.command?.length ?? 0) > 0,
      declarations: parseServiceDeclarations(envList, c.dockerLabels ?? {}),
    };
  });
}
