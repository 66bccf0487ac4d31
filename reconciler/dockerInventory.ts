// The inventory of the local stack: the local Docker engine is the truth, and the machine is one host with
// a configured id. A container counts as alive only while it runs; a paused one serves nothing.
import type Docker from "dockerode";
import type { ApiCalls } from "./apiCalls";
import type { Inventory, InventorySnapshot, PublishedPorts } from "./inventory";

export interface DockerInventoryOptions {
  readonly docker: Docker;
  /** The local host's id, the same the local agent writes into its SetIdentifiers. */
  readonly hostId: string;
  /** When given, the Docker request is counted in the run's summary too. */
  readonly calls?: ApiCalls;
}

/** The local Docker engine as the truth about one host's containers. */
export class DockerInventory implements Inventory {
  readonly kind = "docker";

  constructor(private readonly options: DockerInventoryOptions) {}

  async snapshot(): Promise<InventorySnapshot> {
    const list = () => this.options.docker.listContainers({ all: false });
    // Docker errors are never retried (ApiCalls retries AWS throttling only); they abort the run.
    const containers = this.options.calls
      ? await this.options.calls.call("Docker.ListContainers", list)
      : await list();
    const running = new Set<string>();
    const published = new Map<string, PublishedPorts>();
    for (const c of containers) {
      if (c.State !== "running" || typeof c.Id !== "string") continue;
      running.add(c.Id.toLowerCase());
      published.set(c.Id.toLowerCase(), publishedBy(c));
    }
    return {
      hosts: new Set([this.options.hostId]),
      containers: running,
      published,
      counts: { hosts: 1, containers: running.size },
    };
  }
}

/** What a running container publishes on the host: Docker's port bindings, as ECS's network bindings say it. */
function publishedBy(c: Docker.ContainerInfo): PublishedPorts {
  const bindings = new Map<string, Set<number>>();
  for (const p of c.Ports ?? []) {
    // An exposed port that is not published has no PublicPort: nothing reaches it from the host.
    if (!p.PublicPort) continue;
    const key = `${p.PrivatePort}/${(p.Type ?? "tcp").toLowerCase()}`;
    bindings.set(key, (bindings.get(key) ?? new Set()).add(p.PublicPort));
  }
  // Docker lists every port of a published range one by one.
  return { bindings, ranges: [], hostNetwork: c.HostConfig?.NetworkMode === "host" };
}
