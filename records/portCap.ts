// How many declared ports one container may publish: one rule for every writer (the agent for its host's
// containers, the registrar for each container of an awsvpc task), so a container gets the same ports in DNS
// whichever writes it. Each port is a record set (two with a check), and the zone's quota of record sets is
// shared by every container. Pure.
import { type Problem, problem } from "./problems";
import type { ServiceDeclaration } from "./serviceDeclarations";

/** ECSSD_MAX_PORTS_PER_CONTAINER's default. */
export const DEFAULT_MAX_PORTS_PER_CONTAINER = 16;

/**
 * The declarations one container may publish: at most `cap`, the lowest container ports first (the parser
 * returns them in port order), so that what is kept does not depend on the order of its variables. `left`:
 * how many were left out, each counted by the writer's metric; `problem`: its one log line.
 */
export function capPorts(
  services: readonly ServiceDeclaration[],
  cap: number | undefined,
): { kept: readonly ServiceDeclaration[]; left: number; problem?: Problem } {
  if (cap === undefined || services.length <= cap) return { kept: services, left: 0 };
  const kept = services.slice(0, cap);
  const left = services.length - cap;
  const firstLeft = services[cap]?.containerPort;
  return {
    kept,
    left,
    problem: problem(
      "too-many-ports",
      "SERVICE_<port>_NAME",
      `the container declares ${services.length} ports, more than the ${cap} a container may publish (ECSSD_MAX_PORTS_PER_CONTAINER): the ${cap} lowest container ports are published, the other ${left} (from port ${firstLeft} up) are not`,
    ),
  };
}
