// What a Docker container event means for DNS. Leaving DNS happens at the first sign of a stop, before the
// process has exited, so that consumers stop calling an instance while it can still answer.
import type { ContainerEvent } from "./containerSource";

/**
 * - `stopping`: deregister now and stay out of DNS until the next `start`, even though the container may
 *   still run for its stop grace period.
 * - `forget`: the container is gone (`destroy`).
 * - `withdraw`: deregister now, then re-read the container (pause, unhealthy) — a paused container cannot
 *   answer, so it leaves DNS on `pause` and comes back on `unpause`.
 * - `refresh`: re-read the container and register it when it serves (`start`, `unpause`, `healthy`).
 */
export type EventEffect = "stopping" | "forget" | "withdraw" | "refresh" | "ignore";

/** Signals that end a process by default; HUP, USR1 and friends usually mean "reload", not "stop". */
const TERMINATING_SIGNALS = new Set(["TERM", "INT", "QUIT", "KILL", "15", "2", "3", "9"]);

/** Normalises `SIGTERM`, `sigterm`, `TERM` and `15` to one spelling. */
export function signalName(signal: string | undefined): string {
  return (signal ?? "").trim().toUpperCase().replace(/^SIG/, "");
}

export function isTerminatingSignal(signal: string | undefined): boolean {
  return TERMINATING_SIGNALS.has(signalName(signal));
}

export function classifyEvent(event: ContainerEvent): EventEffect {
  const action = event.action.trim();
  switch (action) {
    case "kill":
      return isTerminatingSignal(event.signal) ? "stopping" : "ignore";
    case "stop":
    case "die":
    case "oom":
      return "stopping";
    case "destroy":
      return "forget";
    case "pause":
      return "withdraw";
    case "start":
    case "restart":
    case "unpause":
      return "refresh";
  }
  if (action.startsWith("health_status")) {
    const status = action.slice("health_status".length).replace(/^[:\s]+/, "");
    if (status === "healthy") return "refresh";
    if (status === "unhealthy") return "withdraw";
    return "ignore";
  }
  return "ignore";
}
