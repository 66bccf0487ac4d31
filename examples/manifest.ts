// The example services, each fact written once. The services' main.ts read their default port and
// auth role here, the Pulumi program derives their ECS container definitions and services from it
// (infra/containerDefinitions.ts, infra/exampleServices.ts), and the local stack starts its containers
// from those same container definitions (local/stack/stackServices.ts). Pure data: no imports, no I/O,
// so that the bundles, the Pulumi program and the local stack can all load it.

/** One example service. */
export interface ExampleServiceSpec {
  /** The port it listens on inside its container: its default `PORT`, its ECS container port. */
  readonly containerPort: number;
  /** The SRV service it offers (`_time._tcp`), relative to the zone; none for a consumer. */
  readonly offers?: string;
  /** Answers 200 without credentials, 503 once draining: the health check of an SRV offer, the load balancer's probe of the portal. */
  readonly healthPath: string;
  /**
   * How the agent checks its offer (`SERVICE_<port>_CHECK_HTTP=<healthPath>`): an instance enters DNS after
   * its first pass and leaves after a few failures, within seconds. None for a consumer.
   */
  readonly agentCheck?: "http";
  /** Services it finds through DNS; each reaches it as `<NAME>_SERVICE=<their SRV name>.<zone>`. */
  readonly calls: readonly string[];
  /**
   * Its part in basic auth: `asks` callers for the credentials, or only `sends` them upstream. Either
   * way it reads AUTH_USERNAME and AUTH_PASSWORD: secrets from SSM on ECS, values in the local stack.
   */
  readonly basicAuth: "asks" | "sends";
  /** Tasks ECS keeps running, and containers the local stack starts by default. */
  readonly desiredCount: number;
  /**
   * Tasks of its Fargate variant: awsvpc mode, each with its own address, registered by the registrar from
   * ECS task events under the same SRV name as the bridge-mode tasks (one mixed fleet). The local stack runs
   * as many "awsvpc tasks" on loopback addresses of their own. None when absent.
   */
  readonly fargateCount?: number;
}

export const EXAMPLE_SERVICES = {
  time: {
    containerPort: 8080,
    offers: "_time._tcp",
    healthPath: "/health",
    agentCheck: "http",
    calls: [],
    basicAuth: "asks",
    desiredCount: 2,
    fargateCount: 1,
  },
  calc: {
    containerPort: 8081,
    offers: "_calc._tcp",
    healthPath: "/health",
    agentCheck: "http",
    calls: [],
    basicAuth: "asks",
    desiredCount: 2,
  },
  portal: {
    containerPort: 8000,
    healthPath: "/health",
    calls: ["time", "calc"],
    basicAuth: "sends",
    desiredCount: 1,
  },
} as const satisfies Readonly<Record<string, ExampleServiceSpec>>;

/** One of the example services. */
export type ExampleName = keyof typeof EXAMPLE_SERVICES;

/** Every example service, callees before their callers. */
export const EXAMPLE_NAMES = Object.keys(EXAMPLE_SERVICES) as ExampleName[];

/** A service's manifest entry, seen through the common shape. */
export function exampleService(name: ExampleName): ExampleServiceSpec {
  return EXAMPLE_SERVICES[name];
}

/** The variable that tells a caller where `callee` is: `TIME_SERVICE`. */
export function calleeVariable(callee: string): string {
  return `${callee.toUpperCase()}_SERVICE`;
}

/**
 * What a service is told about the services it calls, in `calls` order:
 * `{ TIME_SERVICE: "_time._tcp.<zone>", ... }`. Throws when a callee offers nothing to find.
 */
export function calleeEnvironment(name: ExampleName, zoneName: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const callee of exampleService(name).calls) {
    const offers = Object.hasOwn(EXAMPLE_SERVICES, callee)
      ? exampleService(callee as ExampleName).offers
      : undefined;
    if (offers === undefined)
      throw new Error(`examples manifest: ${name} calls "${callee}", which offers no SRV name`);
    env[calleeVariable(callee)] = `${offers}.${zoneName}`;
  }
  return env;
}
