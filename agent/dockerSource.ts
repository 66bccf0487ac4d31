// ContainerSource over the Docker Engine API (dockerode): the local socket, or DOCKER_HOST when set.
import Docker from "dockerode";
import type {
  ContainerDescription,
  ContainerEvent,
  ContainerSource,
  EventSubscription,
} from "./containerSource";

export interface DockerSourceOptions {
  /** A dockerode client; by default one for DOCKER_HOST or the local socket. */
  docker?: Docker;
  /** Time limit of one list or inspect (ms); the event stream has none. */
  requestTimeoutMs?: number;
}

interface DockerEventMessage {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

export class DockerSource implements ContainerSource {
  readonly docker: Docker;
  private readonly timeoutMs: number;

  constructor(opts: DockerSourceOptions = {}) {
    this.docker = opts.docker ?? new Docker();
    this.timeoutMs = opts.requestTimeoutMs ?? 10_000;
  }

  async subscribe(
    onEvent: (event: ContainerEvent) => void,
    onEnd: (err?: Error) => void,
  ): Promise<EventSubscription> {
    // `since` replays what the daemon saw between this call and its own subscription, so a list taken
    // after this resolves cannot miss an event.
    const since = (Date.now() / 1000).toFixed(3);
    const stream = (await this.withTimeout(
      this.docker.getEvents({ since: since as unknown as number, filters: { type: ["container"] } }),
    )) as NodeJS.ReadableStream & { destroy(): void };
    let buffered = "";
    let ended = false;
    const end = (err?: Error) => {
      if (ended) return;
      ended = true;
      onEnd(err);
    };
    stream.on("data", (chunk: Buffer | string) => {
      buffered += chunk.toString();
      let nl = buffered.indexOf("\n");
      while (nl >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf("\n");
        const event = line ? parseEvent(line) : undefined;
        if (event) onEvent(event);
      }
      // A runaway line without a newline is not an event stream we understand.
      if (buffered.length > 1_000_000) stream.destroy();
    });
    stream.on("end", () => end());
    stream.on("close", () => end());
    stream.on("error", (err: Error) => end(err));
    return {
      close: () => {
        ended = true;
        stream.destroy();
      },
    };
  }

  async listRunning(): Promise<string[]> {
    const list = await this.withTimeout(this.docker.listContainers({ all: false }));
    return list.map((c) => c.Id);
  }

  async inspect(id: string): Promise<ContainerDescription | undefined> {
    try {
      return (await this.withTimeout(this.docker.getContainer(id).inspect())) as ContainerDescription;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`container engine did not answer within ${this.timeoutMs} ms`)),
          this.timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  }
}

/** One line of Docker's event stream → a container event, or undefined for anything else. */
export function parseEvent(line: string): ContainerEvent | undefined {
  let msg: DockerEventMessage;
  try {
    msg = JSON.parse(line) as DockerEventMessage;
  } catch {
    return undefined;
  }
  if (typeof msg !== "object" || msg === null) return undefined;
  if (msg.Type !== undefined && msg.Type !== "container") return undefined;
  const id = msg.Actor?.ID ?? msg.id;
  const action = msg.Action ?? msg.status;
  if (typeof id !== "string" || !/^[0-9a-f]{12,64}$/.test(id) || typeof action !== "string") return undefined;
  const signal = msg.Actor?.Attributes?.signal;
  return { id, action, ...(typeof signal === "string" ? { signal } : {}) };
}
