// Service ownership rules: who may offer which name, and every malformed entry named at once.
import assert from "node:assert/strict";
import {
  formatServiceOwners,
  mayOffer,
  ownershipProblem,
  ownershipRules,
  parseServiceOwners,
} from "../../records";

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

  it("closes names not in the map to everyone when the namespace is closed, and keeps the listed ones", () => {
    const closed = ownershipRules(map, true);
    assert.ok(closed);
    assert.equal(mayOffer(closed, "_other._tcp", "anything"), false);
    assert.equal(mayOffer(closed, "_other._tcp", undefined), false);
    assert.equal(mayOffer(closed, "_calc._tcp", "calc"), true);
    assert.equal(mayOffer(closed, "_calc._tcp", "portal"), false);
    assert.equal(mayOffer(closed, "_TIME._tcp", "time"), true, "names compare without case");
    assert.equal(mayOffer(map, "_other._tcp", "anything"), true, "the map it was made from stays open");
  });

  it("leaves the rules as they were when the namespace is open", () => {
    assert.equal(ownershipRules(map, false), map);
    assert.equal(ownershipRules(undefined, false), undefined, "no map, open: every name is open");
    const nothing = ownershipRules(undefined, true);
    assert.ok(nothing);
    assert.equal(mayOffer(nothing, "_calc._tcp", "calc"), false, "no map, closed: no name is open");
  });

  it("says why an unlisted name is refused in a closed namespace, and a listed one to another family", () => {
    const closed = ownershipRules(map, true);
    const unlisted = ownershipProblem(closed, { srvName: "_other._tcp", containerPort: 8080 }, "other");
    assert.equal(unlisted?.code, "service-not-owned");
    assert.equal(unlisted?.subject, "SERVICE_8080_NAME");
    assert.match(unlisted?.message ?? "", /_other._tcp is not listed in ECSSD_SERVICE_OWNERS.*closed/);
    const listed = ownershipProblem(closed, { srvName: "_calc._tcp", containerPort: 8081 }, "portal");
    assert.match(listed?.message ?? "", /only by the task families calc, calc-canary/);
    assert.equal(ownershipProblem(map, { srvName: "_other._tcp", containerPort: 8080 }, "other"), undefined);
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
