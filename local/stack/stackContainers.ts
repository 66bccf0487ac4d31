// The example containers of the local stack, through the Docker Engine API. Every container carries the
// label below, so that `stack down` (or the next `stack up` after a crash) removes exactly what we started.
import Docker from "dockerode";
import type { LocalEcsIntrospection } from "./ecsIntrospectionServer";
import { STACK_LABEL } from "./stackServices";

export { STACK_LABEL } from "./stackServices";

/** Says how to get a Docker engine when none answers; the stack cannot run without one. */
export class DockerUnavailableError extends Error {
  override name = "DockerUnavailableError";
  constructor(cause: unknown) {
    super(
      "No Docker engine answers on this machine " +
        `(${cause instanceof Error ? cause.message : String(cause)}).\n` +
        "The local stack runs the example services as containers. On Debian, as root, run\n" +
        "  bash scripts/setup-machine.sh\n" +
        "which installs Debian's docker.io and starts dockerd; elsewhere start Docker and set DOCKER_HOST if needed.",
      { cause },
    );
  }
}

export class StackContainers {
  /**
   * @param stackName the label value that marks this stack's containers (default `local`).
   * @param ecs told of each container created and removed, as ECS's introspection API would list them.
   */
  constructor(
    readonly stackName = "local",
    readonly docker: Docker = new Docker(),
    private readonly ecs?: LocalEcsIntrospection,
  ) {}

  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (err) {
      throw new DockerUnavailableError(err);
    }
  }

  /** Ids of the containers a stack started (running or not). */
  async list(): Promise<Docker.ContainerInfo[]> {
    return this.docker.listContainers({
      all: true,
      filters: { label: [`${STACK_LABEL}=${this.stackName}`] },
    });
  }

  /** Creates and starts a container from options made by localExampleContainer (stackServices.ts). */
  async start(options: Docker.ContainerCreateOptions): Promise<Docker.Container> {
    // Without the label, neither `stack down` nor the next `stack up` would ever remove it.
    if (options.Labels?.[STACK_LABEL] !== this.stackName) {
      throw new Error(`container ${options.name} lacks the label ${STACK_LABEL}=${this.stackName}`);
    }
    const container = await this.docker.createContainer(options);
    this.ecs?.created(container.id, options.name ?? container.id, options.Labels);
    await container.start();
    return container;
  }

  /** Stops gracefully (the services drain on SIGTERM), then removes. */
  async stop(idOrName: string, graceSeconds: number): Promise<void> {
    const c = this.docker.getContainer(idOrName);
    await c.stop({ t: graceSeconds }).catch(ignoreGone);
    await c.remove({ force: true }).catch(ignoreGone);
    this.ecs?.removed(idOrName);
  }

  /** Removes every container of the stack at once, without draining: for teardown. */
  async removeAll(): Promise<number> {
    const all = await this.list();
    await Promise.all(
      all.map((c) => this.docker.getContainer(c.Id).remove({ force: true }).catch(ignoreGone)),
    );
    for (const c of all) this.ecs?.removed(c.Id);
    return all.length;
  }
}

function ignoreGone(err: unknown): void {
  const status = (err as { statusCode?: number }).statusCode;
  // 304: already stopped; 404: already removed; 409: removal already in progress.
  if (status === 304 || status === 404 || status === 409) return;
  throw err;
}
