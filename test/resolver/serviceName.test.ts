import { strict as assert } from "node:assert";
import fc from "fast-check";
import { expandServiceName } from "../../resolver/src/serviceName";

// The rule the resolver checks names by, written as one expression: labels of 1-63 letters, digits, "-" or
// "_", not starting or ending with "-", at most 253 characters in all.
const NAME = /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

describe("service names", () => {
  it("accepts exactly the names of the documented rule", () => {
    const char = fc.constantFrom(..."ab-_.09Zé ".split(""));
    const name = fc.oneof(
      fc.array(char, { maxLength: 80 }).map((c) => c.join("")),
      fc
        .array(fc.stringMatching(/^[a-z0-9_-]{0,70}$/), { minLength: 1, maxLength: 5 })
        .map((labels) => labels.join(".")),
    );
    fc.assert(
      fc.property(name, (input) => {
        // A trailing dot: taken as fully qualified, so the check sees the name as written.
        const written = `${input}.`;
        const bare = written.trim().toLowerCase().slice(0, -1);
        const expected = bare.length >= 1 && bare.length <= 253 && NAME.test(bare);
        let accepted = true;
        try {
          assert.equal(expandServiceName(written, "example"), bare);
        } catch (err) {
          assert.ok(err instanceof TypeError, String(err));
          assert.match(err.message, /^invalid service name/);
          accepted = false;
        }
        assert.equal(accepted, expected, `for ${JSON.stringify(written)}`);
      }),
      { numRuns: 5000 },
    );
  });

  it("expands short forms by the documented rule", () => {
    // The rule as written in the documentation, one expression per form.
    const documented = (input: string, domain: string): string => {
      const name = input.trim().toLowerCase();
      if (name.endsWith(".")) return name.slice(0, -1);
      if (!name.includes("."))
        return name.startsWith("_") ? `${name}._tcp.${domain}` : `_${name}._tcp.${domain}`;
      if (/^_[^.]+\._[^.]+$/.test(name)) return `${name}.${domain}`;
      return name;
    };
    const name = fc.array(fc.constantFrom(..."_a.B-1 ".split("")), { maxLength: 12 }).map((c) => c.join(""));
    fc.assert(
      fc.property(name, (input) => {
        let expected: string | undefined;
        try {
          expected = documented(input, "example");
          if (!NAME.test(expected)) expected = undefined;
        } catch {
          expected = undefined;
        }
        let got: string | undefined;
        try {
          got = expandServiceName(input, "example");
        } catch {
          got = undefined;
        }
        assert.equal(got, expected, `for ${JSON.stringify(input)}`);
      }),
      { numRuns: 5000 },
    );
    assert.equal(expandServiceName("_calc._udp", "example"), "_calc._udp.example");
    assert.equal(expandServiceName("_calc.x", "example"), "_calc.x");
    assert.equal(expandServiceName("_calc._tcp.other", "example"), "_calc._tcp.other");
  });
});
