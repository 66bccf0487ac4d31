// The tz database reader (Debian's tzdata provides the files): real files give the abbreviations Go
// prints; damaged files are refused with an error, never a hang or a crash; without the database
// the time service falls back to ICU's names.
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { parseTzif } from "../../examples/time/tzif";
import { ZoneLookup } from "../../examples/time/zoneLookup";

const NEW_YORK = "/usr/share/zoneinfo/America/New_York";

describe("examples/time tzif", () => {
  it("reads transitions, types and the footer rule of a real zone", () => {
    const tz = parseTzif(readFileSync(NEW_YORK));
    assert.ok(tz.transitions.length > 100);
    assert.ok(tz.types.some((t) => t.name === "EDT" && t.offset === -4 * 3600));
    assert.deepEqual(tz.footer, {
      std: { name: "EST", offset: -5 * 3600 },
      dst: { name: "EDT", offset: -4 * 3600 },
    });
  });

  it("refuses damaged files with an error, whatever the bytes", () => {
    const real = readFileSync(NEW_YORK);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.concat([Buffer.from("TZif2"), Buffer.from(a)])),
          fc.nat({ max: real.length }).map((n) => real.subarray(0, n)),
          fc.tuple(fc.nat({ max: real.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
            const copy = Buffer.from(real);
            copy[i] = b;
            return copy;
          }),
        ),
        (buf) => {
          try {
            parseTzif(buf);
          } catch (err) {
            assert.ok(err instanceof Error);
          }
        },
      ),
      { numRuns: 1000, seed: 11 },
    );
  });

  it("falls back to ICU names and tz-style numeric abbreviations without a tz database", () => {
    const zones = new ZoneLookup("/nonexistent-zoneinfo");
    const january = Date.UTC(2024, 0, 15, 12) / 1000;
    assert.deepEqual(zones.at("America/New_York", january), {
      zone: "America/New_York",
      offsetSeconds: -5 * 3600,
      abbreviation: "EST",
    });
    assert.equal(zones.at("Asia/Dubai", january).abbreviation, "+04");
    assert.equal(zones.at("Asia/Kathmandu", january).abbreviation, "+0545");
    assert.equal(zones.at("UTC", january).abbreviation, "UTC");
  });
});
