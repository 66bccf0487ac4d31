// Service ownership rules: who may offer which name, and every malformed entry named at once.
import assert from "node:assert/strict";
import { formatServiceOwners, mayOffer, parseServiceOwners } from "../../records";

function owners(json: string) {
  const parsed = parseServiceOwners(json);
  if ("problems" in parsed) return assert.fail(JSON.stringify(parsed.problems));
  return parsed.owners;
}

describe("service owners", () => {
  const map = owners('{"_calc._tcp":["calc","calc-canary"],"_TIME._tcp":["time"]}');

  it("lets only the listed families offer a listed name", () => {
    assert.equal(mayOffer(map, "_calc._tcp", "calc"), true);
    assert.equal(mayOffer(map, "_calc._tcp", "calc-canary"), true);
    assert.equal(mayOffer(map, "_calc._tcp", "portal"), false);
    assert.equal(mayOffer(map, "_calc._tcp", undefined), false, "a container outside ECS cannot claim it");
    assert.equal(mayOffer(map, "_time._tcp", "time"), true, "names compare without case");
  });

  it("leaves names not in the map open to anyone, and an empty setting open for all", () => {
    assert.equal(mayOffer(map, "_other._tcp", "anything"), true);
    assert.equal(mayOffer(map, "_other._tcp", undefined), true);
    assert.equal(mayOffer(owners(""), "_calc._tcp", "portal"), true);
  });

  it("names every malformed entry at once", () => {
    const parsed = parseServiceOwners(
      '{"calc":["calc"],"_time._tcp":[],"_a._tcp":["ok","bad family"],"_b._tcp":"b"}',
    );
    assert.ok("problems" in parsed);
    assert.deepEqual(
      parsed.problems.map((p) => p.subject),
      ['"calc"', "_time._tcp", "_a._tcp", "_b._tcp"],
    );
    assert.match(
      parsed.problems[2]?.message ?? "",
      /"bad family" in the owners of _a._tcp is not a task-definition family/,
    );
  });

  it("rejects what is not a JSON object, saying so", () => {
    for (const bad of ["{", "[]", "3", "null"]) {
      const parsed = parseServiceOwners(bad);
      assert.ok("problems" in parsed, bad);
      assert.equal(parsed.problems[0]?.subject, "ECSSD_SERVICE_OWNERS");
    }
  });

  it("writes what it reads", () => {
    const text = formatServiceOwners({ "_calc._tcp": ["calc"] });
    assert.equal(mayOffer(owners(text), "_calc._tcp", "calc"), true);
  });
});
