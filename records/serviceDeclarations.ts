// Parses what a container says it offers: SERVICE_<containerPort>_NAME=_<service>._<proto>, with optional
// SERVICE_<port>_PRIORITY / SERVICE_<port>_WEIGHT and SERVICE_IGNORE, from its environment and labels;
// and writes them (serviceDeclarationEnv), so that nobody else spells SERVICE_<port>_NAME.
import {
  type CheckDeclaration,
  type CheckDeclarationInput,
  checkDeclarationEnv,
  parseCheckDeclarations,
} from "./checkDeclarations";
import { type Problem, printable, problem } from "./problems";
import { isHostOrTaskLabel } from "./zone";

export type Protocol = "tcp" | "udp";

/** One service offered on one container port. */
export interface ServiceDeclaration {
  containerPort: number;
  /** The service label without its underscore, lower-cased: `calc`. */
  service: string;
  protocol: Protocol;
  /** `_calc._tcp`: the SRV owner name relative to the zone. */
  srvName: string;
  /** RFC 2782 priority, 0–65535; lower is preferred. */
  priority: number;
  /** RFC 2782 weight, 0–65535. */
  weight: number;
  /** The check the agent runs before and while this port is in DNS; absent when none is declared. */
  check?: CheckDeclaration;
}

export interface ContainerDeclarations {
  /** True when the container asked to be skipped with SERVICE_IGNORE. */
  ignored: boolean;
  services: ServiceDeclaration[];
  /** One entry per malformed key; the ports they concern are skipped, the rest are kept. */
  problems: Problem[];
}

export const DEFAULT_PRIORITY = 1;
export const DEFAULT_WEIGHT = 1;

const KEY = /^SERVICE_([^_]*)_(NAME|PRIORITY|WEIGHT)$/;
const PORT = /^[1-9][0-9]{0,4}$/;
const U16 = /^(0|[1-9][0-9]{0,4})$/;
// RFC 6335 allows 15 characters for a service name; a DNS label allows 63 and is what Route53 checks.
/** `_service._tcp|udp`, lower case: the SRV owner name relative to the zone. */
export const SRV_NAME = /^_([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)\._(tcp|udp)$/;

/** Docker's `Config.Env` is a list of `KEY=VALUE`; ECS dockerLabels and Docker labels are a map. */
export function envListToMap(env: readonly string[] | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of env ?? []) {
    const eq = entry.indexOf("=");
    // Docker keeps the last of repeated keys, and so do we.
    if (eq > 0) out.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return out;
}

/**
 * Reads a container's service declarations. Labels and environment are read alike; a key given in both
 * with different values is a conflict and that port is skipped.
 */
export function parseServiceDeclarations(
  env: readonly string[] | null | undefined,
  labels: Readonly<Record<string, string>> | null | undefined,
): ContainerDeclarations {
  const problems: Problem[] = [];
  const values = new Map<string, string>();
  const conflicted = new Set<string>();
  const envMap = envListToMap(env);
  const sources = [envMap, new Map(Object.entries(labels ?? {}))];
  for (const source of sources) {
    for (const [key, value] of source) {
      if (!key.startsWith("SERVICE_")) continue;
      const v = value.trim();
      const seen = values.get(key);
      if (seen !== undefined && seen !== v) {
        conflicted.add(key);
        problems.push(
          problem(
            "conflicting-declaration",
            printable(key),
            `${printable(key)} is set twice with different values ("${printable(seen)}" and "${printable(v)}"); set it once`,
          ),
        );
        continue;
      }
      values.set(key, v);
    }
  }

  const ignore = values.get("SERVICE_IGNORE");
  let ignored = false;
  if (ignore !== undefined) {
    const lowered = ignore.toLowerCase();
    if (["true", "1", "yes"].includes(lowered)) ignored = true;
    else if (!["false", "0", "no", ""].includes(lowered)) {
      problems.push(
        problem(
          "invalid-ignore",
          "SERVICE_IGNORE",
          `SERVICE_IGNORE must be true or false, not "${printable(ignore)}"`,
        ),
      );
    }
  }

  type Partial = { name?: string; priority?: string; weight?: string; badPort?: boolean };
  const byPort = new Map<string, Partial>();
  for (const [key, value] of values) {
    if (key === "SERVICE_IGNORE") continue;
    const m = KEY.exec(key);
    if (!m) continue; // other SERVICE_* keys belong to other tools (registrator uses SERVICE_TAGS etc.)
    const [, portText = "", field] = m;
    const entry = byPort.get(portText) ?? {};
    byPort.set(portText, entry);
    if (conflicted.has(key)) {
      entry.badPort = true;
      continue;
    }
    if (field === "NAME") entry.name = value;
    else if (field === "PRIORITY") entry.priority = value;
    else entry.weight = value;
  }

  const services: ServiceDeclaration[] = [];
  for (const [portText, entry] of [...byPort].sort(([a], [b]) => Number(a) - Number(b))) {
    if (entry.badPort) continue;
    // Shown bounded and printable: a key is input from a container, and log lines stay short.
    const subject = `SERVICE_${printable(portText)}_NAME`;
    if (!PORT.test(portText) || Number(portText) > 65535) {
      problems.push(
        problem(
          "invalid-port",
          subject,
          `"${printable(portText)}" in ${subject} is not a container port: use a decimal number from 1 to 65535 without leading zeros`,
        ),
      );
      continue;
    }
    if (entry.name === undefined) {
      problems.push(
        problem(
          "missing-name",
          subject,
          `SERVICE_${portText}_PRIORITY or _WEIGHT is set but ${subject} is not`,
        ),
      );
      continue;
    }
    const name = entry.name.toLowerCase();
    const nm = SRV_NAME.exec(name);
    if (!nm) {
      problems.push(
        problem(
          "invalid-service-name",
          subject,
          `${subject}="${printable(entry.name)}" must look like _service._tcp or _service._udp (service: a-z, 0-9 and "-", at most 63 characters)`,
        ),
      );
      continue;
    }
    if (isHostOrTaskLabel(nm[1] as string)) {
      // A service under a host's or task's name would sit beside that host's address record, where a
      // client that maps names to services could be sent to it instead of the host.
      problems.push(
        problem(
          "reserved-service-name",
          subject,
          `${subject}="${printable(entry.name)}" has the shape of a host or task name (an EC2 instance id or an ECS task id), which only address records may use; choose another service name`,
        ),
      );
      continue;
    }
    const priority = parseU16(entry.priority, DEFAULT_PRIORITY);
    const weight = parseU16(entry.weight, DEFAULT_WEIGHT);
    if (priority === undefined || weight === undefined) {
      const field = priority === undefined ? "priority" : "weight";
      problems.push(notU16(field, portText, entry[field]));
      continue;
    }
    services.push({
      containerPort: Number(portText),
      service: nm[1] as string,
      protocol: nm[3] as Protocol,
      srvName: name,
      priority,
      weight,
    });
  }
  if (!ignored) {
    const usable = new Map([...values].filter(([key]) => !conflicted.has(key)));
    const read = parseCheckDeclarations(
      usable,
      services.map((s) => s.containerPort),
    );
    problems.push(...read.problems);
    for (const s of services) {
      const check = read.checks.get(s.containerPort);
      if (check) s.check = check;
    }
  }
  return { ignored, services: ignored ? [] : services, problems };
}

/** What {@link serviceDeclarationEnv} needs: a port and the SRV name; priority and weight default on reading. */
export interface ServiceDeclarationInput {
  readonly containerPort: number;
  /** `_calc._tcp`, lower-case, as {@link parseServiceDeclarations} returns it. */
  readonly srvName: string;
  readonly priority?: number;
  readonly weight?: number;
  /** A check for the agent to run on this port (`SERVICE_<port>_CHECK_*`). */
  readonly check?: CheckDeclarationInput;
}

/** A declaration that {@link parseServiceDeclarations} would not read back as it was given. */
export class ServiceDeclarationError extends Error {
  override readonly name = "ServiceDeclarationError";
}

/**
 * The variables (or labels) that declare one service, the inverse of {@link parseServiceDeclarations}:
 * `{ SERVICE_8081_NAME: "_calc._tcp" }`, plus `SERVICE_8081_PRIORITY` / `_WEIGHT` when given. Throws
 * {@link ServiceDeclarationError} naming every field that would not read back.
 */
export function serviceDeclarationEnv(decl: ServiceDeclarationInput): Record<string, string> {
  const problems: string[] = [];
  const port = decl.containerPort;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    problems.push(`[containerPort] ${port} is not a container port: use an integer from 1 to 65535`);
  }
  if (!SRV_NAME.test(decl.srvName)) {
    problems.push(
      `[srvName] "${printable(decl.srvName)}" is not of the form _<service>._<tcp|udp> (service: a-z, 0-9 and "-", at most 63 characters)`,
    );
  }
  for (const field of ["priority", "weight"] as const) {
    const value = decl[field];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0 && value <= 65535)) {
      problems.push(`[${field}] ${value} must be an integer from 0 to 65535`);
    }
  }
  let checkEnv: Record<string, string> = {};
  if (decl.check !== undefined && problems.length === 0) {
    const written = checkDeclarationEnv(port, decl.check);
    if ("problems" in written) problems.push(...written.problems);
    else checkEnv = written.env;
  }
  if (problems.length > 0) {
    throw new ServiceDeclarationError(`Invalid service declaration:\n - ${problems.join("\n - ")}`);
  }
  return {
    [`SERVICE_${port}_NAME`]: decl.srvName,
    ...(decl.priority !== undefined ? { [`SERVICE_${port}_PRIORITY`]: String(decl.priority) } : {}),
    ...(decl.weight !== undefined ? { [`SERVICE_${port}_WEIGHT`]: String(decl.weight) } : {}),
    ...checkEnv,
  };
}

/** The problem of a SERVICE_<port>_PRIORITY or _WEIGHT label that is not an integer from 0 to 65535. */
function notU16(field: "priority" | "weight", portText: string, text: string | undefined): Problem {
  const label = `SERVICE_${portText}_${field.toUpperCase()}`;
  return problem(
    field === "priority" ? "invalid-priority" : "invalid-weight",
    label,
    `${label}="${printable(text ?? "")}" must be an integer from 0 to 65535`,
  );
}

function parseU16(text: string | undefined, fallback: number): number | undefined {
  if (text === undefined) return fallback;
  if (!U16.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}
