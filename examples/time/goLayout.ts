// Go's time.Format, element for element: the layout is the reference time
// "Mon Jan 2 15:04:05 -0700 MST 2006" written the way the caller wants the answer.
// Mirrors nextStdChunk/appendFormat in Go's src/time/format.go, quirks included, so that any
// layout a Go programmer knows gives here the bytes Go would give.

/** An instant and the zone to show it in. */
export interface ZonedInstant {
  /** Whole seconds since the Unix epoch (UTC). */
  readonly unixSeconds: number;
  /** Nanoseconds within that second, 0..999,999,999. */
  readonly nanos: number;
  /** Offset of the zone east of UTC, in seconds. */
  readonly offsetSeconds: number;
  /** Zone abbreviation ("MST", "CET", "+04"); empty when unknown (Go then prints -0700). */
  readonly zoneName: string;
}

type Element =
  | "January"
  | "Jan"
  | "1"
  | "01"
  | "Monday"
  | "Mon"
  | "2"
  | "_2"
  | "02"
  | "__2"
  | "002"
  | "15"
  | "3"
  | "03"
  | "4"
  | "04"
  | "5"
  | "05"
  | "2006"
  | "06"
  | "PM"
  | "pm"
  | "MST"
  | "Z0700"
  | "Z070000"
  | "Z07"
  | "Z07:00"
  | "Z07:00:00"
  | "-0700"
  | "-070000"
  | "-07"
  | "-07:00"
  | "-07:00:00"
  | "frac0"
  | "frac9";

interface Chunk {
  readonly prefix: string;
  readonly element?: Element;
  /** For fractional seconds: digit count (as Go keeps it, 12 bits) and separator. */
  readonly digits?: number;
  readonly separator?: string;
  readonly suffix: string;
}

const ZERO_X: readonly Element[] = ["01", "02", "03", "04", "05", "06"];
const LONG_MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const LONG_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

function startsWithLowerCase(s: string): boolean {
  const c = s.charCodeAt(0);
  return c >= 0x61 && c <= 0x7a;
}

function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 0x30 && c <= 0x39;
}

/** Finds the first layout element; the text before it is echoed verbatim (Go's nextStdChunk). */
function nextChunk(layout: string): Chunk {
  const at = (i: number, prefix: number, element: Element, length: number): Chunk => ({
    prefix: layout.slice(0, prefix),
    element,
    suffix: layout.slice(i + length),
  });
  for (let i = 0; i < layout.length; i++) {
    const rest = layout.slice(i);
    switch (layout[i]) {
      case "J":
        if (rest.startsWith("Jan")) {
          if (rest.startsWith("January")) return at(i, i, "January", 7);
          if (!startsWithLowerCase(rest.slice(3))) return at(i, i, "Jan", 3);
        }
        break;
      case "M":
        if (rest.startsWith("Mon")) {
          if (rest.startsWith("Monday")) return at(i, i, "Monday", 6);
          if (!startsWithLowerCase(rest.slice(3))) return at(i, i, "Mon", 3);
        }
        if (rest.startsWith("MST")) return at(i, i, "MST", 3);
        break;
      case "0": {
        const d = layout.charCodeAt(i + 1) - 0x31;
        if (d >= 0 && d <= 5) return at(i, i, ZERO_X[d]!, 2);
        if (rest.startsWith("002")) return at(i, i, "002", 3);
        break;
      }
      case "1":
        if (layout[i + 1] === "5") return at(i, i, "15", 2);
        return at(i, i, "1", 1);
      case "2":
        if (rest.startsWith("2006")) return at(i, i, "2006", 4);
        return at(i, i, "2", 1);
      case "_":
        if (layout[i + 1] === "2") {
          // "_2006" is a literal underscore followed by the long year.
          if (rest.startsWith("_2006"))
            return { prefix: layout.slice(0, i + 1), element: "2006", suffix: layout.slice(i + 5) };
          return at(i, i, "_2", 2);
        }
        if (rest.startsWith("__2")) return at(i, i, "__2", 3);
        break;
      case "3":
        return at(i, i, "3", 1);
      case "4":
        return at(i, i, "4", 1);
      case "5":
        return at(i, i, "5", 1);
      case "P":
        if (layout[i + 1] === "M") return at(i, i, "PM", 2);
        break;
      case "p":
        if (layout[i + 1] === "m") return at(i, i, "pm", 2);
        break;
      case "-":
        for (const e of ["-070000", "-07:00:00", "-0700", "-07:00", "-07"] as const) {
          if (rest.startsWith(e)) return at(i, i, e, e.length);
        }
        break;
      case "Z":
        for (const e of ["Z070000", "Z07:00:00", "Z0700", "Z07:00", "Z07"] as const) {
          if (rest.startsWith(e)) return at(i, i, e, e.length);
        }
        break;
      case ".":
      case ",": {
        const ch = layout[i + 1];
        if (ch === "0" || ch === "9") {
          let j = i + 1;
          while (j < layout.length && layout[j] === ch) j++;
          // Only a run of digits that ends here is a fractional second.
          if (!isDigitAt(layout, j)) {
            return {
              prefix: layout.slice(0, i),
              element: ch === "0" ? "frac0" : "frac9",
              // Go packs the count into 12 bits; longer runs wrap the same way.
              digits: (j - (i + 1)) & 0xfff,
              separator: layout[i],
              suffix: layout.slice(j),
            };
          }
        }
        break;
      }
    }
  }
  return { prefix: layout, suffix: "" };
}

/** Go's appendInt: sign, then the magnitude zero-padded to `width`. */
function int(x: number, width: number): string {
  const digits = String(Math.abs(x));
  return (x < 0 ? "-" : "") + digits.padStart(width, "0");
}

function fraction(nanos: number, digits: number, separator: string, trim: boolean): string {
  if (trim && (digits === 0 || nanos === 0)) return "";
  let out = separator + int(nanos, 9);
  if (digits < 9) out = out.slice(0, out.length - 9 + digits);
  if (trim) {
    out = out.replace(/0+$/, "");
    if (out.endsWith(separator)) out = out.slice(0, -1);
  }
  return out;
}

/** Go's numeric zone elements (-0700 and friends, and the Z forms that print Z for UTC). */
function numericZone(element: Element, offset: number): string {
  if (offset === 0 && element.startsWith("Z")) return "Z";
  // Go divides with truncation and signs from the minutes; kept so odd offsets print as Go's do.
  let zone = Math.trunc(offset / 60);
  let absOffset = offset;
  let out: string;
  if (zone < 0) {
    out = "-";
    zone = -zone;
    absOffset = -absOffset;
  } else {
    out = "+";
  }
  out += int(Math.trunc(zone / 60), 2);
  const colon = element.includes(":");
  if (colon) out += ":";
  if (element !== "-07" && element !== "Z07") out += int(zone % 60, 2);
  if (element === "Z070000" || element === "-070000" || element === "Z07:00:00" || element === "-07:00:00") {
    if (colon) out += ":";
    out += int(absOffset % 60, 2);
  }
  return out;
}

/**
 * Formats an instant with a Go reference layout, exactly as Go's `time.Time.Format` does.
 * @example formatGoLayout("15:04 Jan 2", { unixSeconds: 0, nanos: 0, offsetSeconds: 0, zoneName: "UTC" }) // "00:00 Jan 1"
 */
export function formatGoLayout(layout: string, t: ZonedInstant): string {
  // Wall-clock fields come from the instant shifted by the zone offset, read as UTC.
  const wall = new Date((t.unixSeconds + t.offsetSeconds) * 1000);
  if (Number.isNaN(wall.getTime())) throw new RangeError("instant out of range");
  const year = wall.getUTCFullYear();
  const month = wall.getUTCMonth();
  const day = wall.getUTCDate();
  const hour = wall.getUTCHours();
  const minute = wall.getUTCMinutes();
  const second = wall.getUTCSeconds();
  const weekday = wall.getUTCDay();
  // setUTCFullYear, unlike Date.UTC, does not map years 0..99 to 1900..1999.
  const startOfYear = new Date(0);
  startOfYear.setUTCFullYear(year, 0, 1);
  const yday = Math.floor((wall.getTime() - startOfYear.getTime()) / 86_400_000) + 1;
  const hour12 = hour % 12 === 0 ? 12 : hour % 12;

  let out = "";
  let rest = layout;
  while (rest !== "") {
    const chunk = nextChunk(rest);
    out += chunk.prefix;
    if (chunk.element === undefined) break;
    rest = chunk.suffix;
    switch (chunk.element) {
      case "2006":
        out += int(year, 4);
        break;
      case "06":
        out += int(Math.abs(year) % 100, 2);
        break;
      case "January":
        out += LONG_MONTHS[month];
        break;
      case "Jan":
        out += LONG_MONTHS[month]!.slice(0, 3);
        break;
      case "1":
        out += int(month + 1, 0);
        break;
      case "01":
        out += int(month + 1, 2);
        break;
      case "Monday":
        out += LONG_DAYS[weekday];
        break;
      case "Mon":
        out += LONG_DAYS[weekday]!.slice(0, 3);
        break;
      case "2":
        out += int(day, 0);
        break;
      case "_2":
        out += (day < 10 ? " " : "") + int(day, 0);
        break;
      case "02":
        out += int(day, 2);
        break;
      case "__2":
        out += int(yday, 0).padStart(3, " ");
        break;
      case "002":
        out += int(yday, 3);
        break;
      case "15":
        out += int(hour, 2);
        break;
      case "3":
        out += int(hour12, 0);
        break;
      case "03":
        out += int(hour12, 2);
        break;
      case "4":
        out += int(minute, 0);
        break;
      case "04":
        out += int(minute, 2);
        break;
      case "5":
        out += int(second, 0);
        break;
      case "05":
        out += int(second, 2);
        break;
      case "PM":
        out += hour >= 12 ? "PM" : "AM";
        break;
      case "pm":
        out += hour >= 12 ? "pm" : "am";
        break;
      case "MST":
        if (t.zoneName !== "") {
          out += t.zoneName;
        } else {
          // No abbreviation known: Go prints the -0700 form.
          const zone = Math.trunc(t.offsetSeconds / 60);
          out +=
            (zone < 0 ? "-" : "+") + int(Math.trunc(Math.abs(zone) / 60), 2) + int(Math.abs(zone) % 60, 2);
        }
        break;
      case "frac0":
      case "frac9":
        out += fraction(t.nanos, chunk.digits!, chunk.separator!, chunk.element === "frac9");
        break;
      default:
        out += numericZone(chunk.element, t.offsetSeconds);
    }
  }
  return out;
}
