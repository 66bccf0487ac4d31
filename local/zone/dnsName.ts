// Domain names in the form Route53 stores and returns them, and their DNS wire form.
//
// The canonical form is lower case, ends with a dot, and writes every byte other than a-z, 0-9,
// `-` and `_` as a backslash and three octal digits, as Route53 does ("*" comes back as "\052").
// The API side and the DNS side both key record sets by this form, so a name typed into
// ChangeResourceRecordSets and a name read off the wire meet in the same map entry.

/** Why a name was rejected; the caller wraps it in the error its API returns. */
export class DomainNameError extends Error {
  override name = "DomainNameError";
}

const MAX_WIRE_LENGTH = 255;
const MAX_LABEL_LENGTH = 63;

function isPlainByte(b: number): boolean {
  return (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x5f;
}

function escapeByte(b: number): string {
  return "\\" + b.toString(8).padStart(3, "0");
}

/** Canonical text of one label given as raw bytes (from the wire or from parsed input). */
export function canonicalLabel(bytes: ArrayLike<number>, start = 0, end = bytes.length): string {
  let out = "";
  for (let i = start; i < end; i++) {
    let b = bytes[i]!;
    if (b >= 0x41 && b <= 0x5a) b += 0x20;
    out += isPlainByte(b) ? String.fromCharCode(b) : escapeByte(b);
  }
  return out;
}

/** Splits presentation text (Route53 input, octal escapes allowed) into label byte arrays. */
function parseLabels(text: string): number[][] {
  const labels: number[][] = [];
  let current: number[] = [];
  let i = 0;
  const body = text.endsWith(".") && !text.endsWith("\\.") ? text.slice(0, -1) : text;
  if (body.length === 0) return [];
  while (i < body.length) {
    const code = body.charCodeAt(i);
    if (code === 0x5c) {
      const octal = body.slice(i + 1, i + 4);
      if (/^[0-3][0-7]{2}$/.test(octal)) {
        current.push(Number.parseInt(octal, 8));
        i += 4;
        continue;
      }
      const next = body.charCodeAt(i + 1);
      if (Number.isNaN(next)) throw new DomainNameError(`ends with a lone backslash`);
      current.push(next);
      i += 2;
      continue;
    }
    if (code === 0x2e) {
      if (current.length === 0) throw new DomainNameError(`has an empty label`);
      labels.push(current);
      current = [];
      i++;
      continue;
    }
    if (code < 0x21 || code > 0x7e) {
      throw new DomainNameError(
        `contains the character ${JSON.stringify(body[i])}, which is not printable ASCII (use an octal escape such as \\052)`,
      );
    }
    current.push(code);
    i++;
  }
  if (current.length === 0) throw new DomainNameError(`has an empty label`);
  labels.push(current);
  return labels;
}

/**
 * Canonical form of a name given in presentation form, e.g. `_Calc._tcp.Example.internal` →
 * `_calc._tcp.example.internal.`. Throws DomainNameError when it is not a valid DNS name.
 */
export function canonicalName(text: string): string {
  if (typeof text !== "string" || text.length === 0) throw new DomainNameError("is empty");
  if (text === ".") return ".";
  const labels = parseLabels(text);
  let wire = 1;
  for (const label of labels) {
    if (label.length > MAX_LABEL_LENGTH) {
      throw new DomainNameError(`has a label longer than ${MAX_LABEL_LENGTH} bytes`);
    }
    wire += label.length + 1;
  }
  if (wire > MAX_WIRE_LENGTH)
    throw new DomainNameError(`is longer than ${MAX_WIRE_LENGTH} bytes on the wire`);
  return labels.map((l) => canonicalLabel(l)).join(".") + ".";
}

/** Labels of a canonical name as text (escapes kept). The root has none. */
export function nameLabels(canonical: string): string[] {
  if (canonical === ".") return [];
  return canonical.slice(0, -1).split(".");
}

/** Wire form (uncompressed) of a canonical name. */
export function encodeWireName(canonical: string): Buffer {
  const bytes: number[] = [];
  for (const label of nameLabels(canonical)) {
    const raw: number[] = [];
    for (let i = 0; i < label.length; i++) {
      if (label.charCodeAt(i) === 0x5c) {
        raw.push(Number.parseInt(label.slice(i + 1, i + 4), 8));
        i += 3;
      } else {
        raw.push(label.charCodeAt(i));
      }
    }
    bytes.push(raw.length, ...raw);
  }
  bytes.push(0);
  return Buffer.from(bytes);
}

/** True when `name` is `zone` or below it (both canonical). */
export function isInZone(name: string, zone: string): boolean {
  return zone === "." || name === zone || name.endsWith("." + zone);
}

/**
 * Sort key that orders names as ListResourceRecordSets does: labels reversed and joined with
 * dots, trailing dot kept ("www.example.com." → "com.example.www.").
 */
export function reversedNameKey(canonical: string): string {
  return nameLabels(canonical).reverse().join(".") + ".";
}

/** Presentation form without the trailing dot, for messages and the ready line. */
export function withoutTrailingDot(canonical: string): string {
  return canonical === "." ? "." : canonical.replace(/\.$/, "");
}
