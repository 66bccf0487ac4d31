// A host's Docker engine as the agent sees it, as data: descriptions to inspect and events to deliver. The
// agent and fleet benchmarks run the real agent code over it, with no engine behind.
import type {
  ContainerDescription,
  ContainerEvent,
  ContainerSource,
  EventSubscription,
} from "../../agent/containerSource";

export class SimulatedDocker implements ContainerSource {
  readonly containers = new Map<string, ContainerDescription>();
  private readonly listeners = new Set<(e: ContainerEvent) => void>();

  async subscribe(onEvent: (e: ContainerEvent) => void): Promise<EventSubscription> {
    this.listeners.add(onEvent);
    return { close: () => this.listeners.delete(onEvent) };
  }
  async listRunning(): Promise<string[]> {
    return [...this.containers.values()].filter((c) => c.State?.Running).map((c) => c.Id);
  }
  async inspect(id: string): Promise<ContainerDescription | undefined> {
    await new Promise((r) => setImmediate(r)); // an inspect is a round trip, never synchronous
    return structuredClone(this.containers.get(id));
  }
  /** A container starts. */
  startContainer(c: ContainerDescription): void {
    this.containers.set(c.Id, c);
    this.emit({ id: c.Id, action: "start" });
  }
  /** SIGTERM, then the container dies (and, with `remove`, is removed, as ECS does). */
  stopContainer(id: string, remove = false): void {
    this.emit({ id, action: "kill", signal: "15" });
    const c = this.containers.get(id);
    if (c?.State) c.State.Running = false;
    this.emit({ id, action: "die" });
    if (!remove) return;
    this.containers.delete(id);
    this.emit({ id, action: "destroy" });
  }
  /** The container's HEALTHCHECK changes its verdict. */
  setContainerHealth(id: string, healthy: boolean): void {
    const c = this.containers.get(id);
    if (!c?.State) return;
    c.State.Health = { Status: healthy ? "healthy" : "unhealthy" };
    this.emit({ id, action: `health_status: ${healthy ? "healthy" : "unhealthy"}` });
  }
  private emit(e: ContainerEvent): void {
    for (const l of this.listeners) l(e);
  }
}
