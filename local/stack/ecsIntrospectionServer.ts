// What the ECS container agent answers on each EC2 host at `GET /v1/tasks` (AWS's container agent introspection
// API), for the containers this stack started: the local agent asks it, as it asks ECS on AWS, before it
// believes a container's ECS labels. It lists only containers the stack itself created, from what it created
// them with, never from Docker's labels: a container someone else starts with the same labels stays unknown.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ECS_FAMILY_LABEL, ECS_TASK_ARN_LABEL } from "../../agent/desiredState";

interface ListedContainer {
  readonly dockerId: string;
  readonly taskArn: string;
  readonly family: string;
  readonly name: string;
}

/** The local stack's stand-in for the ECS agent's introspection API, on loopback. */
export class LocalEcsIntrospection {
  private readonly containers = new Map<string, ListedContainer>();
  private readonly server = http.createServer((req, res) => {
    if (req.method !== "GET" || req.url !== "/v1/tasks") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(this.tasks()));
  });

  /** Listens on 127.0.0.1 (port 0: a free one); resolves with the base URL the agent is given. */
  async listen(port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", resolve);
    });
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /**
   * A container the stack created, listed when it carries ECS's task labels (as ECS lists the containers it
   * created, before it starts them). Called between create and start, so the agent never sees it unlisted.
   */
  created(dockerId: string, name: string, labels: Readonly<Record<string, string>> | undefined): void {
    const taskArn = labels?.[ECS_TASK_ARN_LABEL];
    const family = labels?.[ECS_FAMILY_LABEL];
    if (taskArn === undefined || family === undefined) return;
    this.containers.set(dockerId, { dockerId, taskArn, family, name });
  }

  /** The stack removed a container (ECS forgets a task's containers when it cleans the task up). */
  removed(idOrName: string): void {
    for (const [id, c] of this.containers) {
      if (id === idOrName || c.name === idOrName) this.containers.delete(id);
    }
  }

  /** The body of `/v1/tasks`, in the ECS agent's shape. */
  tasks(): { Tasks: unknown[] } {
    const byTask = new Map<string, ListedContainer[]>();
    for (const c of this.containers.values()) byTask.set(c.taskArn, [...(byTask.get(c.taskArn) ?? []), c]);
    return {
      Tasks: [...byTask].map(([arn, containers]) => ({
        Arn: arn,
        DesiredStatus: "RUNNING",
        KnownStatus: "RUNNING",
        Family: containers[0]?.family,
        Version: "1",
        Containers: containers.map((c) => ({ DockerId: c.dockerId, DockerName: c.name, Name: c.name })),
      })),
    };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
