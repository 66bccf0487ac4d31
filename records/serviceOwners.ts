// Who may offer a service: a map from SRV name to the ECS task-definition families allowed to register it
// (`ECSSD_SERVICE_OWNERS`, Pulumi `ecssd:serviceOwners`), e.g. {"_calc._tcp":["calc","calc-canary"]}.
// Without it any container in the cluster could join any pool and receive its callers' traffic (and
// credentials). Names not in the map may be offered by anyone, as before, unless the namespace is closed
// (`ECSSD_SERVICE_OWNERS_CLOSED`, Pulumi `ecssd:closedNamespace`): then by nobody. Pure: every writer and the
// reconciler read the same rules from here.
import { type Problem, problem } from "./problems";
import { SRV_NAME } from "./serviceDeclarations";

/**
 * SRV name (lower case) -> allowed task-definition families. The closing travels with the map (see
 * {@link ownershipRules}) rather than beside it, so that no reader of the map can judge a name by the map
 * alone and forget that the namespace is closed.
 */
export interface ServiceOwners extends ReadonlyMap<string, ReadonlySet<string>> {
  /** True: a name missing from the map may be offered by nobody. Otherwise by anyone. */
  readonly closed?: boolean;
}

/** ECS: up to 255 letters, numbers, hyphens and underscores. */
const FAMILY = /^[A-Za-z0-9_-]{1,255}$/;
const SHOWN = 60;

function shown(text: string): string {
  return text.length > SHOWN ? `${JSON.stringify(text.slice(0, SHOWN))}…` : JSON.stringify(text);
}

export const NO_SERVICE_OWNERS: ServiceOwners = new Map();

/** Reads the JSON form; every problem is named, and nothing is returned unless all of it is valid. */
export function parseServiceOwners(json: string): { owners: ServiceOwners } | { problems: Problem[] } {
  let parsed: unknown;
  try {
    parsed = json.trim() === "" ? {} : JSON.parse(json);
  } catch (err) {
    return {
      problems: [
        problem("invalid-service-owners", "ECSSD_SERVICE_OWNERS", `is not JSON: ${(err as Error).message}`),
      ],
    };
  }
  return serviceOwnersFrom(parsed);
}

/** The same rules for an already-parsed value (Pulumi config objects). */
export function serviceOwnersFrom(value: unknown): { owners: ServiceOwners } | { problems: Problem[] } {
  const problems: Problem[] = [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      problems: [
        problem(
          "invalid-service-owners",
          "ECSSD_SERVICE_OWNERS",
          'must be an object such as {"_calc._tcp":["calc"]}',
        ),
      ],
    };
  }
  const owners = new Map<string, ReadonlySet<string>>();
  for (const [name, families] of Object.entries(value)) {
    const srvName = name.toLowerCase();
    if (!SRV_NAME.test(srvName)) {
      problems.push(
        problem(
          "invalid-service-owners",
          shown(name),
          `${shown(name)} is not a service name such as _calc._tcp`,
        ),
      );
      continue;
    }
    if (!Array.isArray(families) || families.length === 0) {
      problems.push(
        problem(
          "invalid-service-owners",
          srvName,
          `the owners of ${srvName} must be a non-empty list of task-definition families`,
        ),
      );
      continue;
    }
    const bad = families.filter((f) => typeof f !== "string" || !FAMILY.test(f));
    if (bad.length > 0) {
      problems.push(
        problem(
          "invalid-service-owners",
          srvName,
          `${bad.map((f) => shown(String(f))).join(", ")} in the owners of ${srvName} ${bad.length === 1 ? "is not a" : "are not"} task-definition famil${bad.length === 1 ? "y" : "ies"} (letters, digits, "-" and "_", at most 255)`,
        ),
      );
      continue;
    }
    if (owners.has(srvName)) {
      problems.push(problem("invalid-service-owners", srvName, `${srvName} is listed twice`));
      continue;
    }
    owners.set(srvName, new Set(families as string[]));
  }
  return problems.length > 0 ? { problems } : { owners };
}

/**
 * The rules every writer and the reconciler apply: `owners` (ECSSD_SERVICE_OWNERS) with the names it does not
 * list open to anyone, or, `closed` (ECSSD_SERVICE_OWNERS_CLOSED), to nobody. Undefined: every name is open.
 */
export function ownershipRules(
  owners: ServiceOwners | undefined,
  closed: boolean,
): ServiceOwners | undefined {
  if (!closed) return owners;
  return Object.assign(new Map(owners ?? []), { closed: true as const });
}

/**
 * Whether a task of `family` may offer `srvName`. A container outside ECS (no family) may offer only names
 * that are not in the map, and none in a closed namespace.
 */
export function mayOffer(owners: ServiceOwners, srvName: string, family: string | undefined): boolean {
  const allowed = owners.get(srvName.toLowerCase());
  if (allowed === undefined) return owners.closed !== true;
  return family !== undefined && allowed.has(family);
}

/**
 * The problem of a declaration whose task family may not offer its name, or undefined when it may: one
 * message for every writer (the agent, the registrar).
 */
export function ownershipProblem(
  owners: ServiceOwners | undefined,
  service: { srvName: string; containerPort: number },
  family: string | undefined,
): Problem | undefined {
  if (owners === undefined || mayOffer(owners, service.srvName, family)) return undefined;
  const subject = `SERVICE_${service.containerPort}_NAME`;
  const allowed = owners.get(service.srvName.toLowerCase());
  if (allowed === undefined) {
    return problem(
      "service-not-owned",
      subject,
      `${service.srvName} is not listed in ECSSD_SERVICE_OWNERS, and the namespace is closed (ECSSD_SERVICE_OWNERS_CLOSED): a name it does not list may be offered by nobody`,
    );
  }
  return problem(
    "service-not-owned",
    subject,
    `${service.srvName} may be offered only by the task families ${[...allowed].join(", ")} (ECSSD_SERVICE_OWNERS); this ${family === undefined ? "container's family is none (not an ECS task)" : `task's family is ${JSON.stringify(family.slice(0, 255))}`}`,
  );
}

/** The JSON form, for task definitions and the local stack (the inverse of parseServiceOwners). */
export function formatServiceOwners(owners: Readonly<Record<string, readonly string[]>>): string {
  return JSON.stringify(owners);
}
