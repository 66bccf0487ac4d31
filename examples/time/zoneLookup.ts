// Turns an IANA zone name into the offset and abbreviation Go would print for an instant.
// The offset comes from Intl (always available in Node); the abbreviation from the system's TZif
// database when it is there (what Go itself reads), because ICU's short names ("GMT+1") are not
// the tz database's ("CET").
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseTzif, type Tzif } from "./tzif";

/** A zone name the caller asked for that is not an IANA zone. */
export class UnknownZoneError extends Error {
  override readonly name = "UnknownZoneError";
}

export interface ZoneAt {
  /** The zone's name: as asked when the tz database has it, else as Intl spells it. */
  readonly zone: string;
  readonly offsetSeconds: number;
  readonly abbreviation: string;
}

const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** Reads zones once each from a tz database directory; a missing or bad file means "not there". */
export class ZoneLookup {
  private readonly cache = new Map<string, Tzif | undefined>();

  constructor(private readonly zoneinfoDir = process.env.ZONEINFO ?? "/usr/share/zoneinfo") {}

  /** Offset and abbreviation of `zone` at `unixSeconds`; throws UnknownZoneError for a bad name. */
  at(zone: string, unixSeconds: number): ZoneAt {
    if (zone.length > 64 || !ZONE_NAME.test(zone)) throw new UnknownZoneError(`unknown time zone "${zone}"`);
    let format: Intl.DateTimeFormat;
    try {
      format = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" });
    } catch {
      throw new UnknownZoneError(`unknown time zone "${zone}"`);
    }
    const canonical = format.resolvedOptions().timeZone;
    const offsetText = format.formatToParts(unixSeconds * 1000).find((p) => p.type === "timeZoneName")?.value;
    const offsetSeconds = parseGmtOffset(offsetText ?? "GMT");
    if (canonical === "UTC" || canonical === "Etc/UTC")
      return { zone: canonical, offsetSeconds: 0, abbreviation: "UTC" };
    // The caller's spelling first: ICU canonicalises to old names (Asia/Kolkata → Asia/Calcutta).
    const tzif = this.load(zone) ?? (canonical === zone ? undefined : this.load(canonical));
    const abbreviation =
      (tzif && abbreviationFromTzif(tzif, unixSeconds, offsetSeconds)) ??
      abbreviationFromIntl(canonical, unixSeconds, offsetSeconds);
    return { zone: tzif ? zone : canonical, offsetSeconds, abbreviation };
  }

  private load(zone: string): Tzif | undefined {
    if (!this.cache.has(zone)) {
      let tzif: Tzif | undefined;
      try {
        tzif = parseTzif(readFileSync(join(this.zoneinfoDir, zone)));
      } catch {
        tzif = undefined;
      }
      this.cache.set(zone, tzif);
    }
    return this.cache.get(zone);
  }
}

/** "GMT", "GMT+5:30", "GMT-03:00", "GMT+00:09:21" → seconds east of UTC. */
export function parseGmtOffset(text: string): number {
  const m = /^GMT(?:([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?)?$/.exec(text);
  if (!m) throw new Error(`unexpected offset text from Intl: ${text}`);
  if (!m[1]) return 0;
  const seconds = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
  return m[1] === "-" ? -seconds : seconds;
}

/** The abbreviation in force at `t`: the last transition's type, or the footer rule past the table. */
function abbreviationFromTzif(tzif: Tzif, t: number, offsetSeconds: number): string | undefined {
  const last = tzif.transitions.at(-1);
  if (tzif.footer && (last === undefined || t >= last.at)) {
    if (tzif.footer.std.offset === offsetSeconds) return tzif.footer.std.name;
    if (tzif.footer.dst?.offset === offsetSeconds) return tzif.footer.dst.name;
  }
  let type = tzif.types[0];
  for (const tr of tzif.transitions) {
    if (tr.at > t) break;
    type = tzif.types[tr.type];
  }
  return type && type.offset === offsetSeconds ? type.name : undefined;
}

/** Without a tz database: ICU's name when it is a real abbreviation, else the tz database's numeric style. */
function abbreviationFromIntl(zone: string, unixSeconds: number, offsetSeconds: number): string {
  const short = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "short" })
    .formatToParts(unixSeconds * 1000)
    .find((p) => p.type === "timeZoneName")?.value;
  if (short && /^[A-Z]{2,5}$/.test(short)) return short;
  const abs = Math.abs(offsetSeconds);
  const hh = String(Math.floor(abs / 3600)).padStart(2, "0");
  const mm = Math.floor((abs % 3600) / 60);
  return (offsetSeconds < 0 ? "-" : "+") + hh + (mm ? String(mm).padStart(2, "0") : "");
}
