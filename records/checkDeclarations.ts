// Health checks a container declares for the agent to run, with registrator's names so existing task
// definitions work unchanged: SERVICE_<port>_CHECK_HTTP=/path or SERVICE_<port>_CHECK_TCP=true, with
// _CHECK_INTERVAL, _CHECK_TIMEOUT, _CHECK_UNHEALTHY_THRESHOLD and _CHECK_HEALTHY_THRESHOLD; the same keys
// without a port (SERVICE_CHECK_HTTP...) apply to every declared port, and a port's own key wins.
// Floors (CHECK_FLOORS): a well-formed interval or threshold below its floor is raised to it, with a
// `check-below-floor` problem, and the port keeps its check. Refusing it would publish the port unchecked,
// which is worse for its consumers than a slower check. Writers (checkDeclarationEnv) refuse such values.
// Pure: reads the SERVICE_* values parseServiceDeclarations gathered, writes them back for infra.
import { type Problem, printable, problem } from "./problems";

/** What the agent checks on one port; the port enters DNS only after a pass. */
export interface CheckDeclaration {
  /** `http`: GET the path, 2xx/3xx passes. `tcp`: a connection that opens passes. */
  readonly kind: "http" | "tcp";
  /** For `http`: the path and query, starting with `/`. */
  readonly path?: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Consecutive failures that take a passing port out of DNS. */
  readonly unhealthyThreshold: number;
  /** Consecutive passes that bring a failing port back (the first pass ever is enough to enter). */
  readonly healthyThreshold: number;
}

export const CHECK_DEFAULTS = {
  intervalMs: 5_000,
  timeoutMs: 2_000,
  unhealthyThreshold: 3,
  healthyThreshold: 2,
} as const;

/**
 * The least a container may ask for. Each probe costs the host a connection and each verdict change may
 * cost a Route53 write, which every host of the account shares: an interval under a second or a single
 * probe deciding a port's place in DNS lets one container spend what all of them share.
 */
export const CHECK_FLOORS = {
  intervalMs: 1_000,
  unhealthyThreshold: 2,
  healthyThreshold: 2,
} as const;

const FIELDS = ["HTTP", "TCP", "INTERVAL", "TIMEOUT", "UNHEALTHY_THRESHOLD", "HEALTHY_THRESHOLD"] as const;
type Field = (typeof FIELDS)[number];
const CHECK_KEY =
  /^SERVICE_(?:([^_]*)_)?CHECK_(HTTP|TCP|INTERVAL|TIMEOUT|UNHEALTHY_THRESHOLD|HEALTHY_THRESHOLD)$/;
// Go-style durations as registrator takes them, in the units a health check needs.
const DURATION = /^(\d{1,7})(ms|s|m)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000 } as const;
// What reads as a value at all; values below a floor are then raised to it.
const LIMITS = {
  interval: { min: 0, max: 3_600_000 },
  timeout: { min: 10, max: 60_000 },
  threshold: { min: 1, max: 100 },
};
// A request target as RFC 9112 §3.2.1 origin-form: printable ASCII without spaces.
const HTTP_PATH = /^\/[\x21-\x7e]{0,1023}$/;

/** True when the key is one of the check keys (with or without a port). */
export function isCheckKey(key: string): boolean {
  return CHECK_KEY.test(key);
}

/**
 * The check of each port in `ports`, read from the SERVICE_* values (portless keys apply to every port).
 * A port whose check settings are malformed gets a problem and no check: it is registered as if no check
 * were declared. Ports without check keys are absent from the result.
 */
export function parseCheckDeclarations(
  values: ReadonlyMap<string, string>,
  ports: readonly number[],
): { checks: Map<number, CheckDeclaration>; problems: Problem[] } {
  const shared = new Map<Field, string>();
  const perPort = new Map<string, Map<Field, string>>();
  for (const [key, value] of values) {
    const m = CHECK_KEY.exec(key);
    if (!m) continue;
    const [, portText, field] = m as unknown as [string, string | undefined, Field];
    if (portText === undefined) shared.set(field, value);
    else {
      const fields = perPort.get(portText) ?? new Map<Field, string>();
      fields.set(field, value);
      perPort.set(portText, fields);
    }
  }
  const checks = new Map<number, CheckDeclaration>();
  const problems: Problem[] = [];
  const declared = new Set(ports.map(String));
  for (const portText of perPort.keys()) {
    if (!declared.has(portText)) {
      problems.push(
        problem(
          "invalid-check",
          `SERVICE_${portText}_CHECK_*`,
          `SERVICE_${portText}_CHECK_* is set but SERVICE_${portText}_NAME does not declare that port; the check is ignored`,
        ),
      );
    }
  }
  for (const port of ports) {
    const own = perPort.get(String(port));
    if (shared.size === 0 && !own) continue;
    const fields = new Map([...shared, ...(own ?? [])]);
    const key = (f: Field) => (own?.has(f) ? `SERVICE_${port}_CHECK_${f}` : `SERVICE_CHECK_${f}`);
    const read = readCheck(fields, key);
    if ("problem" in read) problems.push(read.problem);
    else if (read.check) {
      checks.set(port, read.check);
      problems.push(...read.raised);
    }
  }
  // A portless key applies to every port, but its problem is one problem.
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const id = `${p.code}|${p.subject}|${p.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return { checks, problems: unique };
}

function readCheck(
  fields: ReadonlyMap<Field, string>,
  key: (f: Field) => string,
): { check?: CheckDeclaration; raised: Problem[] } | { problem: Problem } {
  const fail = (f: Field, message: string) => ({
    problem: problem("invalid-check", key(f), `${key(f)}${message}; the port is registered without a check`),
  });
  const http = fields.get("HTTP");
  const tcpText = fields.get("TCP")?.toLowerCase();
  let tcp = false;
  if (tcpText !== undefined) {
    if (["true", "1", "yes"].includes(tcpText)) tcp = true;
    else if (!["false", "0", "no", ""].includes(tcpText))
      return fail("TCP", `="${printable(tcpText)}" must be true or false`);
  }
  if (http !== undefined && http !== "" && tcp) {
    return fail("HTTP", " and a TCP check are both set; declare one of them");
  }
  if ((http === undefined || http === "") && !tcp) {
    // Timing without a check says nothing to act on; it only earns a line when someone meant a check.
    const stray = (["INTERVAL", "TIMEOUT", "UNHEALTHY_THRESHOLD", "HEALTHY_THRESHOLD"] as const).find((f) =>
      fields.has(f),
    );
    return stray ? fail(stray, " is set but no CHECK_HTTP or CHECK_TCP is") : { raised: [] };
  }
  if (http !== undefined && http !== "" && !HTTP_PATH.test(http)) {
    return fail("HTTP", `="${printable(http)}" must be a path starting with "/" without spaces`);
  }
  const duration = (f: "INTERVAL" | "TIMEOUT", fallback: number, limits: { min: number; max: number }) => {
    const text = fields.get(f);
    if (text === undefined) return fallback;
    const m = DURATION.exec(text);
    const ms = m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : Number.NaN;
    if (!(ms >= limits.min && ms <= limits.max)) {
      const from = limits.min === 0 ? "" : `, from ${limits.min} ms`;
      return `="${printable(text)}" must be a duration like 500ms, 5s or 1m${from} up to ${limits.max / 1000} s`;
    }
    return ms;
  };
  const count = (f: "UNHEALTHY_THRESHOLD" | "HEALTHY_THRESHOLD", fallback: number) => {
    const text = fields.get(f);
    if (text === undefined) return fallback;
    const n = /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
    if (!(n >= LIMITS.threshold.min && n <= LIMITS.threshold.max)) {
      return `="${printable(text)}" must be an integer from ${LIMITS.threshold.min} to ${LIMITS.threshold.max}`;
    }
    return n;
  };
  const intervalMs = duration("INTERVAL", CHECK_DEFAULTS.intervalMs, LIMITS.interval);
  if (typeof intervalMs === "string") return fail("INTERVAL", intervalMs);
  const timeoutMs = duration("TIMEOUT", CHECK_DEFAULTS.timeoutMs, LIMITS.timeout);
  if (typeof timeoutMs === "string") return fail("TIMEOUT", timeoutMs);
  const unhealthyThreshold = count("UNHEALTHY_THRESHOLD", CHECK_DEFAULTS.unhealthyThreshold);
  if (typeof unhealthyThreshold === "string") return fail("UNHEALTHY_THRESHOLD", unhealthyThreshold);
  const healthyThreshold = count("HEALTHY_THRESHOLD", CHECK_DEFAULTS.healthyThreshold);
  if (typeof healthyThreshold === "string") return fail("HEALTHY_THRESHOLD", healthyThreshold);
  const raised: Problem[] = [];
  const floor = (f: "INTERVAL" | "UNHEALTHY_THRESHOLD" | "HEALTHY_THRESHOLD", value: number, min: number) => {
    if (value >= min) return value;
    const shown = f === "INTERVAL" ? `${min / 1000} s` : String(min);
    raised.push(
      problem(
        "check-below-floor",
        key(f),
        `${key(f)}="${printable(fields.get(f) ?? "")}" is below the agent's floor of ${shown}; the check uses ${shown}`,
      ),
    );
    return min;
  };
  return {
    check: {
      kind: tcp ? "tcp" : "http",
      ...(tcp ? {} : { path: http as string }),
      intervalMs: floor("INTERVAL", intervalMs, CHECK_FLOORS.intervalMs),
      timeoutMs,
      unhealthyThreshold: floor("UNHEALTHY_THRESHOLD", unhealthyThreshold, CHECK_FLOORS.unhealthyThreshold),
      healthyThreshold: floor("HEALTHY_THRESHOLD", healthyThreshold, CHECK_FLOORS.healthyThreshold),
    },
    raised,
  };
}

/** What {@link checkDeclarationEnv} writes; omitted timings are left to the defaults when read. */
export interface CheckDeclarationInput {
  readonly http?: string;
  readonly tcp?: boolean;
  /** Whole seconds or milliseconds: written as `5s` when a whole number of seconds, else `500ms`. */
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  readonly unhealthyThreshold?: number;
  readonly healthyThreshold?: number;
}

/**
 * The variables that declare a check of one port, the inverse of {@link parseCheckDeclarations}; returns
 * the problems instead when the input would not read back.
 */
export function checkDeclarationEnv(
  port: number,
  input: CheckDeclarationInput,
): { env: Record<string, string> } | { problems: string[] } {
  const env: Record<string, string> = {};
  for (const [field, value] of Object.entries(checkFields(input))) {
    if (value !== undefined) env[`SERVICE_${port}_CHECK_${field}`] = value;
  }
  const read = parseCheckDeclarations(new Map(Object.entries(env)), [port]);
  if (read.problems.length > 0 || !read.checks.has(port)) {
    return {
      problems:
        read.problems.length > 0
          ? read.problems.map((p) => `[check] ${p.message}`)
          : ["[check] declares neither http nor tcp"],
    };
  }
  return { env };
}

function checkFields(input: CheckDeclarationInput): Record<Field, string | undefined> {
  const duration = (ms: number | undefined) =>
    ms === undefined ? undefined : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
  return {
    HTTP: input.http,
    TCP: input.tcp ? "true" : undefined,
    INTERVAL: duration(input.intervalMs),
    TIMEOUT: duration(input.timeoutMs),
    UNHEALTHY_THRESHOLD: input.unhealthyThreshold?.toString(),
    HEALTHY_THRESHOLD: input.healthyThreshold?.toString(),
  };
}
