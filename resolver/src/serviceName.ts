// Turns what a caller writes ("calc", "_calc._tcp", a full name) into the SRV name to query.

/** The zone the project publishes services in, unless a resolver is given another. */
export const DEFAULT_DOMAIN = "servicediscovery.internal";

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Whether every label of `name` matches LABEL. A loop rather than one regular expression for the whole
 * name: it runs on every lookup of a name not seen before, and the expression cost several times more.
 */
function labelsValid(name: string): boolean {
  let start = 0;
  for (let i = 0; i <= name.length; i++) {
    const c = i < name.length ? name.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (i === start || i - start > 63 || name.charCodeAt(i - 1) === 0x2d) return false;
      start = i + 1;
    } else if (c === 0x2d) {
      if (i === start) return false;
    } else if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f)) {
      return false;
    }
  }
  return true;
}

/** Checks a fully qualified name (lower case, no trailing dot) against RFC 1035 limits. */
export function assertValidName(name: string, input: string): void {
  if (name.length === 0 || name.length > 253) {
    throw new TypeError(`invalid service name "${input}": must be 1-253 characters`);
  }
  if (labelsValid(name)) return;
  for (const label of name.split(".")) {
    if (!LABEL.test(label)) {
      throw new TypeError(
        `invalid service name "${input}": label "${label}" must be 1-63 letters, digits, "-" or "_"`,
      );
    }
  }
}

/** Whether `name`, whose first dot is at `dot`, is `_service._proto`: two labels, each starting with "_". */
function isServiceAndProtocol(name: string, dot: number): boolean {
  return (
    dot > 1 &&
    name.charCodeAt(0) === 0x5f &&
    name.charCodeAt(dot + 1) === 0x5f &&
    dot + 2 < name.length &&
    name.indexOf(".", dot + 1) < 0
  );
}

/**
 * Expands a service name:
 * - `calc` → `_calc._tcp.<domain>`; `_calc` → `_calc._tcp.<domain>`;
 * - `_calc._udp` → `_calc._udp.<domain>`;
 * - anything else with a dot, or ending in ".", is taken as fully qualified.
 * The result is lower case without the trailing dot.
 */
export function expandServiceName(input: string, domain: string): string {
  if (typeof input !== "string") throw new TypeError(`service name must be a string, got ${typeof input}`);
  let name = input.trim().toLowerCase();
  const dot = name.indexOf(".");
  if (name.endsWith(".")) {
    name = name.slice(0, -1);
  } else if (dot < 0) {
    name = name.startsWith("_") ? `${name}._tcp.${domain}` : `_${name}._tcp.${domain}`;
  } else if (isServiceAndProtocol(name, dot)) {
    name = `${name}.${domain}`;
  }
  assertValidName(name, input);
  return name;
}

/** Lower-cases and strips the trailing dot of a domain option, and checks it. */
export function normalizeDomain(domain: string): string {
  const d = domain.trim().toLowerCase().replace(/\.$/, "");
  assertValidName(d, domain);
  return d;
}
