// Problems found in input that crosses a process boundary. Parsers return them instead of throwing,
// so that one malformed container or record is reported and skipped while the rest go on.

/** A named, specific problem with one piece of input. */
export interface Problem {
  /** Stable machine-readable code, e.g. `invalid-port`. */
  code: ProblemCode;
  /** The key, name or value the problem is about (never a secret: only SERVICE_* keys are named). */
  subject: string;
  /** One sentence a person can act on. */
  message: string;
}

export type ProblemCode =
  | "invalid-port"
  | "invalid-service-name"
  | "reserved-service-name"
  | "invalid-priority"
  | "invalid-weight"
  | "missing-name"
  | "conflicting-declaration"
  | "invalid-ignore"
  | "invalid-host-id"
  | "invalid-deployment"
  | "invalid-zone"
  | "invalid-container-id"
  | "invalid-task-id"
  | "invalid-address"
  | "invalid-dns-name"
  | "invalid-service-owners"
  | "service-not-owned"
  | "invalid-check"
  | "check-below-floor"
  | "too-many-ports"
  | "invalid-az-id"
  | "unknown-az-id";

export function problem(code: ProblemCode, subject: string, message: string): Problem {
  return { code, subject, message };
}

/** Keeps log lines readable and single-line whatever a container put in its variables: at most 80 characters, escaped. */
export function printable(s: string): string {
  const shown = s.length > 80 ? `${s.slice(0, 80)}…` : s;
  return shown.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Thrown only by the `...OrThrow` builders, for callers that have already validated their input. */
export class RecordContractError extends Error {
  override name = "RecordContractError";
  constructor(readonly problems: Problem[]) {
    super(problems.map((p) => `[${p.subject}] ${p.message}`).join("; "));
  }
}
