// Domain names in the shape the local zone stores them: the canonical form of records/zone.ts
// (lower case, `\ddd` escapes) plus the trailing dot that Route53 returns ("*.Example.internal"
// → "\052.example.internal."; the root is "."). The API side and the DNS side both key record
// sets by this form, so a name typed into ChangeResourceRecordSets and a name read off the wire
// meet in the same map entry.
import { parseDnsName } from "../../records/zone";

/** Why a name was rejected; the caller wraps it in the error its API returns. */
export class DomainNameError extends Error {
  override name = "DomainNameError";
}

/**
 * The stored form of a name given in presentation form, e.g. `_Calc._tcp.Example.internal` →
 * `_calc._tcp.example.internal.`. Throws DomainNameError ("has an empty label") when it is not a
 * valid DNS name, since every API caller turns that into its own error response.
 */
export function storedName(text: string): string {
  const parsed = parseDnsName(text);
  if ("problem" in parsed) throw new DomainNameError(parsed.reason);
  return `${parsed.name}.`;
}

/** Labels of a stored name as text (escapes kept). The root has none. */
export function nameLabels(stored: string): string[] {
  if (stored === ".") return [];
  return stored.slice(0, -1).split(".");
}

/**
 * The name as the DNS codec takes it, without escapes (they are turned back into the characters
 * they stand for; no trailing dot), or undefined when a label holds a byte that form cannot carry
 * as given: a dot, a backslash, or a byte outside printable ASCII. Such names are kept by the API
 * but not served on the DNS side, as when dns-packet wrote the records (its name encoder splits on
 * dots, joins mailbox labels at backslashes and writes UTF-8, so it would have written them wrong).
 */
export function packetName(stored: string): string | undefined {
  if (!stored.includes("\\")) return stored === "." ? "." : stored.slice(0, -1);
  const labels: string[] = [];
  for (const label of nameLabels(stored)) {
    let out = "";
    for (let i = 0; i < label.length; i++) {
      let code = label.charCodeAt(i);
      if (code === 0x5c) {
        code = Number.parseInt(label.slice(i + 1, i + 4), 8);
        i += 3;
      }
      if (code === 0x2e || code === 0x5c || code < 0x21 || code > 0x7e) return undefined;
      out += String.fromCharCode(code);
    }
    labels.push(out);
  }
  return labels.join(".");
}

/** True when `name` is `zone` or below it (both stored). */
export function isInZone(name: string, zone: string): boolean {
  return zone === "." || name === zone || name.endsWith("." + zone);
}

/**
 * Sort key that orders names as ListResourceRecordSets does: labels reversed and joined with
 * dots, trailing dot kept ("www.example.com." → "com.example.www.").
 */
export function reversedNameKey(stored: string): string {
  return nameLabels(stored).reverse().join(".") + ".";
}

/** Presentation form without the trailing dot, for messages and the ready line. */
export function withoutTrailingDot(stored: string): string {
  return stored === "." ? "." : stored.replace(/\.$/, "");
}
