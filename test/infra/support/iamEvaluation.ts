// A small evaluator of IAM identity policies, enough to ask "would AWS allow this request?" of the
// documents the program writes: Allow/Deny, wildcard actions and resources, and the condition
// operators those documents use (with AWS's set semantics for ForAllValues/ForAnyValue). Any other
// operator throws, so a new condition cannot pass a test unexamined.
import type { PolicyDocument } from "../../../infra/policies";

/** One API request as IAM sees it. */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  /** Condition keys of the request; multi-valued keys are arrays. */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

function globToRegExp(pattern: string, flags: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`, flags);
}

const list = <T>(v: T | readonly T[]): readonly T[] => (Array.isArray(v) ? v : [v as T]);

function matches(pattern: string, value: string, caseInsensitive: boolean): boolean {
  return globToRegExp(pattern, caseInsensitive ? "i" : "").test(value);
}

function conditionHolds(
  operator: string,
  key: string,
  expected: readonly string[],
  context: Readonly<Record<string, string | readonly string[]>>,
): boolean {
  const actual = context[key];
  const [quantifier, base] = operator.includes(":") ? operator.split(":") : [undefined, operator];
  if (!["StringEquals", "ArnEquals", "StringLike", "ArnLike", "Bool"].includes(base as string)) {
    throw new Error(`iamEvaluation: unsupported condition operator ${operator}`);
  }
  const compare = (pattern: string, value: string): boolean => {
    switch (base) {
      case "StringEquals":
      case "ArnEquals":
        return pattern === value;
      case "StringLike":
      case "ArnLike":
        return matches(pattern, value, false);
      case "Bool":
        return pattern.toLowerCase() === value.toLowerCase();
      default:
        throw new Error(`iamEvaluation: unsupported condition operator ${operator}`);
    }
  };
  const anyExpected = (value: string) => expected.some((e) => compare(e, value));
  switch (quantifier) {
    case undefined:
      if (actual === undefined) return false;
      return list(actual).some(anyExpected);
    // AWS: true when the key is absent or empty, else every value must match.
    case "ForAllValues":
      return actual === undefined || list(actual).every(anyExpected);
    case "ForAnyValue":
      return actual !== undefined && list(actual).some(anyExpected);
    default:
      throw new Error(`iamEvaluation: unsupported condition operator ${operator}`);
  }
}

/** Whether `policy` allows `request`: an explicit Deny wins, otherwise any matching Allow. */
export function isAllowed(policy: PolicyDocument, request: IamRequest): boolean {
  const context = request.context ?? {};
  let allowed = false;
  for (const statement of policy.Statement) {
    const actionMatches = list(statement.Action).some((a) => matches(a, request.action, true));
    const resourceMatches = list(statement.Resource).some((r) => matches(r, request.resource, false));
    if (!actionMatches || !resourceMatches) continue;
    const conditions = Object.entries(statement.Condition ?? {});
    const holds = conditions.every(([operator, keys]) =>
      Object.entries(keys).every(([key, expected]) => conditionHolds(operator, key, list(expected), context)),
    );
    if (!holds) continue;
    if (statement.Effect === "Deny") return false;
    allowed = true;
  }
  return allowed;
}
