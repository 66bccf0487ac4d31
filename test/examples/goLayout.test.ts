// The time service's layout formatter against Go itself: Go formats the same instants with the same
// layouts (the oracle under ./oracle), and every answer must match byte for byte.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import fc from "fast-check";
import { formatGoLayout } from "../../examples/time/goLayout";
import { ZoneLookup } from "../../examples/time/zoneLookup";

interface OracleInstant {
  unix: number;
  nanos: number;
  zone?: string;
  name?: string;
  offset?: number;
}

/** The go command: on PATH, else the usual install location; the oracle cannot be replaced by a guess. */
function goBinary(): string {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, "go"))) return join(dir, "go");
  }
  if (existsSync("/usr/local/go/bin/go")) return "/usr/local/go/bin/go";
  throw new Error("Go is the oracle of these tests: install it (https://go.dev/dl or Debian's golang-go)");
}

function goFormat(instants: OracleInstant[], layouts: string[]): string[] {
  const out = execFileSync(goBinary(), ["run", join(__dirname, "oracle", "goformat.go")], {
    input: JSON.stringify({ instants, layouts }),
    encoding: "utf8",
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
    // No module, no download: the installed toolchain runs one file; a cache even without HOME.
    env: {
      ...process.env,
      GOTOOLCHAIN: "local",
      GOFLAGS: "",
      GO111MODULE: "off",
      GOCACHE: process.env.GOCACHE ?? join(tmpdir(), "ecssd-go-cache"),
    },
  });
  return JSON.parse(out) as string[];
}

const zones = new ZoneLookup();

function ourFormat(instants: OracleInstant[], layouts: string[]): string[] {
  const out: string[] = [];
  for (const i of instants) {
    const zone = i.zone ? zones.at(i.zone, i.unix) : { offsetSeconds: i.offset!, abbreviation: i.name! };
    for (const layout of layouts) {
      out.push(
        formatGoLayout(layout, {
          unixSeconds: i.unix,
          nanos: i.nanos,
          offsetSeconds: zone.offsetSeconds,
          zoneName: zone.abbreviation,
        }),
      );
    }
  }
  return out;
}

function compare(instants: OracleInstant[], layouts: string[]): void {
  const expected = goFormat(instants, layouts);
  const actual = ourFormat(instants, layouts);
  assert.equal(actual.length, expected.length);
  const mismatches: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      const inst = instants[Math.floor(i / layouts.length)];
      mismatches.push(
        `${JSON.stringify(layouts[i % layouts.length])} @ ${JSON.stringify(inst)}: go ${JSON.stringify(expected[i])}, ours ${JSON.stringify(actual[i])}`,
      );
    }
  }
  assert.deepEqual(mismatches.slice(0, 20), [], `${mismatches.length} of ${expected.length} differ`);
}

/** Instants that reach every branch: AM/PM, noon and midnight, one- and three-digit days of year, odd offsets. */
const FIXED: OracleInstant[] = [
  { unix: 1136239445, nanos: 0, name: "MST", offset: -7 * 3600 }, // the reference time itself
  { unix: 1136239445, nanos: 123456789, name: "MST", offset: -7 * 3600 },
  { unix: 1709165229, nanos: 500, name: "UTC", offset: 0 }, // 2024-02-29T00:07:09.0000005Z
  { unix: 946684799, nanos: 987654321, name: "", offset: 5 * 3600 + 30 * 60 + 30 }, // no name, odd offset
  { unix: 946684799, nanos: 100_000_000, name: "", offset: -(3 * 3600 + 30 * 60 + 15) },
  { unix: 1704412800, nanos: 0, name: "CET", offset: 3600 }, // Jan 5, 01:00: single-digit everything
  { unix: 1735646400, nanos: 999_999_999, name: "EST", offset: -5 * 3600 }, // Dec 31 07:00, day 365/366
  { unix: 1718798400, nanos: 10, name: "", offset: 0 }, // noon, zero offset without a name
  { unix: -1, nanos: 999_999_999, name: "LMT", offset: -30 }, // before the epoch, sub-minute offset
  { unix: -62135596800 + 86400 * 40, nanos: 1, name: "UTC", offset: 0 }, // year 1
];

const ZONES = [
  "UTC",
  "America/New_York",
  "Europe/Berlin",
  "Asia/Tokyo",
  "Asia/Kolkata",
  "Asia/Dubai",
  "America/Sao_Paulo",
  "Australia/Sydney",
  "Pacific/Chatham",
  "America/St_Johns",
];
const ZONED: OracleInstant[] = ZONES.flatMap((zone) => [
  { unix: 1705320000, nanos: 5_000_000, zone }, // mid January
  { unix: 1721044800, nanos: 0, zone }, // mid July: the other side of DST
]);

/** Every element Go's time.Layout documents, alone and in context, plus the predefined layouts. */
const LAYOUTS = [
  ...["January", "Jan", "1", "01", "Monday", "Mon", "2", "_2", "02", "__2", "002"],
  ...["15", "3", "03", "4", "04", "5", "05", "2006", "06", "PM", "pm", "MST"],
  ...["-0700", "-07:00", "-07", "-070000", "-07:00:00"],
  ...["Z0700", "Z07:00", "Z07", "Z070000", "Z07:00:00"],
  ...[".0", ".00", ".000", ".000000", ".000000000", ".9", ".99", ".999", ".999999", ".999999999"],
  ...[",0", ",000", ",999", ",999999999", "05.000000000000", "05.999999999999", "05.0000", "05,9"],
  "Mon Jan 2 15:04:05 -0700 MST 2006",
  "01/02 03:04:05PM '06 -0700",
  "Mon Jan _2 15:04:05 2006",
  "Mon Jan _2 15:04:05 MST 2006",
  "Mon Jan 02 15:04:05 -0700 2006",
  "02 Jan 06 15:04 MST",
  "02 Jan 06 15:04 -0700",
  "Monday, 02-Jan-06 15:04:05 MST",
  "Mon, 02 Jan 2006 15:04:05 MST",
  "Mon, 02 Jan 2006 15:04:05 -0700",
  "2006-01-02T15:04:05Z07:00",
  "2006-01-02T15:04:05.999999999Z07:00",
  "3:04PM",
  "Jan _2 15:04:05.000000",
  "2006-01-02 15:04:05",
  "15:04 Jan 2",
  "2006.002 __2",
  // Words that only look like elements, and the quirks of Go's scanner.
  "Month Janet Mondays MSTX",
  "Janu Monda",
  "_2006 __2006 _1 __1",
  "1.000 1.0001 .0a .9x 05.0909",
  "pm PM Pm pM",
  "-07:0 -070 Z07:0 Z070",
  "002002 2006006 0102",
  "plain text with no elements: abcdefghijklmnoqrstuvwxyz",
  "",
  "✓ 15h04 — 2 janvier",
];

describe("examples/time goLayout (Go as the oracle)", function () {
  this.timeout(180_000);

  it("formats every documented element and predefined layout exactly as Go does, at fixed offsets", () => {
    compare(FIXED, LAYOUTS);
  });

  it("formats IANA zones with Go's offsets and abbreviations", () => {
    compare(ZONED, ["2006-01-02 15:04:05.000 MST -07:00 Z07:00 -0700 Z07"]);
  });

  it("formats random layouts built from element fragments exactly as Go does", () => {
    const fragment = fc.constantFrom(
      ..."January Jan Monday Mon MST PM pm Z07:00 Z0700 -07:00 -07 _2 __2 002 2006 06 15 . , 0 9 1 2 3 4 5 _ - : Z M J P p a x /".split(
        " ",
      ),
      " ",
    );
    const layouts = fc.sample(
      fc.array(fragment, { minLength: 1, maxLength: 12 }).map((parts) => parts.join("")),
      { numRuns: 400, seed: 20_061_502 },
    );
    compare(FIXED.slice(0, 6), layouts);
  });
});
