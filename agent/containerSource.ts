// The Docker-shaped edge the core owns: what it needs to know about containers and their events.
// dockerSource.ts implements it over the Docker Engine API; anything that speaks the same shape can feed
// the core (the benchmark feeds it hundreds of descriptions without starting hundreds of containers).

/** The fields of `docker inspect` the agent reads; names and nesting are Docker's own. */
export interface ContainerDescription {
  /** Full 64-character container id. */
  Id: string;
  Name?: string;
  Config?: {
    Env?: string[] | null;
    Labels?: Record<string, string> | null;
  } | null;
  State?: {
    Running?: boolean;
    Paused?: boolean;
    Restarting?: boolean;
    /** Present only when the container has a HEALTHCHECK. */
    Health?: { Status?: string } | null;
  } | null;
  HostConfig?: { NetworkMode?: string } | null;
  NetworkSettings?: {
    /** `"8081/tcp"` → the bindings that publish it (null when declared but not published). */
    Ports?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
  } | null;
}

/** One container event as Docker reports it (`Type: "container"`). */
export interface ContainerEvent {
  id: string;
  /** Docker's action: `start`, `die`, `kill`, `health_status: healthy`, ... */
  action: string;
  /** For `kill`: the signal, by number (`"15"`) or by name (`"SIGTERM"`, `"TERM"`). */
  signal?: string;
}

/** A live subscription to container events. */
export interface EventSubscription {
  /** Stops delivering events and releases the connection. */
  close(): void;
}

/** Where containers come from. Implementations must never throw for a container that has vanished. */
export interface ContainerSource {
  /**
   * Subscribes to container events. Resolves once the subscription is live (so a list taken afterwards
   * misses nothing); `onEnd` is called once when the stream ends or fails.
   */
  subscribe(
    onEvent: (event: ContainerEvent) => void,
    onEnd: (err?: Error) => void,
  ): Promise<EventSubscription>;
  /** Ids of the containers that are running now (paused ones included). */
  listRunning(): Promise<string[]>;
  /** The container's description, or undefined when it no longer exists. */
  inspect(id: string): Promise<ContainerDescription | undefined>;
}

/** The 12-character id Docker prints, for logs. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}
