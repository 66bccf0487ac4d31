// A reader for the tz database's binary files (TZif, RFC 8536), reduced to what formatting needs:
// the transitions, each local time type's offset and abbreviation, and the footer's names.

export interface TzifType {
  /** Seconds east of UTC. */
  readonly offset: number;
  readonly name: string;
}

export interface Tzif {
  readonly transitions: readonly { readonly at: number; readonly type: number }[];
  readonly types: readonly TzifType[];
  /** The POSIX TZ rule for times after the last transition (RFC 8536 section 3.3), names and offsets only. */
  readonly footer?: { readonly std: TzifType; readonly dst?: TzifType };
}

/** Parses a TZif file; throws on anything that is not one. */
export function parseTzif(buf: Buffer): Tzif {
  if (buf.length < 44 || buf.toString("latin1", 0, 4) !== "TZif") throw new Error("not a TZif file");
  const version = buf[4]!;
  const v1 = header(buf, 0);
  let offset = 44 + dataLength(v1, 4);
  if (version === 0) return body(buf, 44, v1, 4);
  // Version 2+: a second header and a body with 64-bit times, then the footer.
  const v2 = header(buf, offset);
  if (buf.toString("latin1", offset, offset + 4) !== "TZif") throw new Error("TZif: second header missing");
  const parsed = body(buf, offset + 44, v2, 8);
  offset += 44 + dataLength(v2, 8);
  const end = buf.indexOf(0x0a, offset + 1);
  const footerText = buf[offset] === 0x0a && end > offset ? buf.toString("latin1", offset + 1, end) : "";
  const footer = footerText ? parsePosixNames(footerText) : undefined;
  return footer ? { ...parsed, footer } : parsed;
}

interface Counts {
  isut: number;
  isstd: number;
  leap: number;
  time: number;
  type: number;
  char: number;
}

function header(buf: Buffer, at: number): Counts {
  if (buf.length < at + 44) throw new Error("TZif: truncated header");
  const n = (i: number) => buf.readUInt32BE(at + 20 + i * 4);
  return { isut: n(0), isstd: n(1), leap: n(2), time: n(3), type: n(4), char: n(5) };
}

function dataLength(c: Counts, timeSize: number): number {
  return c.time * timeSize + c.time + c.type * 6 + c.char + c.leap * (timeSize + 4) + c.isstd + c.isut;
}

function body(buf: Buffer, at: number, c: Counts, timeSize: number): Tzif {
  if (buf.length < at + dataLength(c, timeSize)) throw new Error("TZif: truncated data");
  const times: number[] = [];
  for (let i = 0; i < c.time; i++) {
    times.push(timeSize === 8 ? Number(buf.readBigInt64BE(at + i * 8)) : buf.readInt32BE(at + i * 4));
  }
  let p = at + c.time * timeSize;
  const transitions = times.map((t, i) => ({ at: t, type: buf[p + i]! }));
  p += c.time;
  const chars = p + c.type * 6;
  const types: TzifType[] = [];
  for (let i = 0; i < c.type; i++) {
    const o = p + i * 6;
    const idx = buf[o + 5]!;
    const end = buf.indexOf(0, chars + idx);
    types.push({
      offset: buf.readInt32BE(o),
      name: buf.toString("latin1", chars + idx, end < 0 ? chars + c.char : end),
    });
  }
  return { transitions, types };
}

/** "EST5EDT,M3.2.0,M11.1.0" or "<+04>-4" → names with offsets east of UTC (POSIX offsets count west). */
function parsePosixNames(tz: string): Tzif["footer"] {
  let i = 0;
  const name = (): string | undefined => {
    if (tz[i] === "<") {
      const end = tz.indexOf(">", i);
      if (end < 0) return undefined;
      const n = tz.slice(i + 1, end);
      i = end + 1;
      return n;
    }
    const m = /^[A-Za-z]{3,}/.exec(tz.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const offset = (): number | undefined => {
    const m = /^([+-]?)(\d{1,3})(?::(\d{2}))?(?::(\d{2}))?/.exec(tz.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    const west = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
    return m[1] === "-" ? west : -west;
  };
  const stdName = name();
  const stdOffset = offset();
  if (stdName === undefined || stdOffset === undefined) return undefined;
  const std = { name: stdName, offset: stdOffset };
  const dstName = name();
  if (dstName === undefined) return { std };
  const dstOffset = tz[i] === "," || i >= tz.length ? stdOffset + 3600 : (offset() ?? stdOffset + 3600);
  return { std, dst: { name: dstName, offset: dstOffset } };
}
