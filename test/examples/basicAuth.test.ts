// Basic auth parsing and comparison (RFC 7617), including hostile headers.
import { strict as assert } from "node:assert";
import fc from "fast-check";
import { BasicAuth, basicAuthHeader } from "../../examples/shared/basicAuth";

describe("examples/shared BasicAuth", () => {
  const auth = new BasicAuth("admin", "pa:ss wörd");

  it("accepts the configured credentials, whatever the case of the scheme", () => {
    assert.ok(auth.check(basicAuthHeader("admin", "pa:ss wörd")));
    assert.ok(auth.check(basicAuthHeader("admin", "pa:ss wörd").replace("Basic", "basic")));
  });

  const refused: [string, string | undefined][] = [
    ["no header", undefined],
    ["empty header", ""],
    ["another scheme", "Bearer YWRtaW46cGE6c3Mgd8O2cmQ="],
    ["no colon", `Basic ${Buffer.from("adminpa:ss wörd".replace(":", "")).toString("base64")}`],
    ["wrong password", basicAuthHeader("admin", "pa:ss word")],
    ["password prefix", basicAuthHeader("admin", "pa:ss")],
    ["username case", basicAuthHeader("Admin", "pa:ss wörd")],
    ["the colon moved", basicAuthHeader("admin:pa:ss", " wörd")],
    ["not base64", "Basic ***"],
    ["oversized", `Basic ${"A".repeat(5000)}`],
  ];
  for (const [name, header] of refused) {
    it(`refuses ${name}`, () => {
      assert.equal(auth.check(header), false);
    });
  }

  it("never throws on arbitrary headers", () => {
    fc.assert(
      // Bytes as latin1 text: any header value a socket can deliver (and quick to generate).
      fc.property(
        fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a).toString("latin1")),
        (s) => {
          assert.equal(auth.check(s), false);
          assert.equal(auth.check(`Basic ${s}`), false);
        },
      ),
      { numRuns: 3000, seed: 3 },
    );
  });
});
