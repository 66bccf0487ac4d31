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
});
