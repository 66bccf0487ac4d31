// The reconciler's verdicts as the agent reads them: a verdict marker holds its instance out, other sets are
// applied state, and a partial re-read only replaces the verdicts on the names it read.
import assert from "node:assert/strict";
import { HeldVerdicts } from "../../agent/heldVerdicts";
import type { Log } from "../../agent/syncLoop";
import { agentCheckMarker, type RecordSet, verdictMarker } from "../../records";

const HOST = "h1";

function srv(container: number, service = "calc"): RecordSet {
  return {
    Name: `_${service}._tcp.servicediscovery.internal`,
    Type: "SRV",
    TTL: 10,
    SetIdentifier: `ecssd1:${HOST}:${container.toString(16).padStart(24, "0")}:8080`,
    MultiValueAnswer: true,
    ResourceRecords: [{ Value: `1 1 32768 ${HOST}.servicediscovery.internal` }],
  };
}

const verdict = (instance: RecordSet) =>
  verdictMarker(instance, { port: 32768, since: new Date(0), detail: "HTTP 500" });

function recordingLog() {
  const actions: string[] = [];
  const at = (obj: object) => void actions.push(String((obj as { action?: string }).action));
  const log: Log = { debug: at, info: at, warn: at, error: at };
  return { log, actions };
}

describe("agent held verdicts", () => {
  it("holds an instance with a verdict and returns every other set as applied state", () => {
    const { log, actions } = recordingLog();
    const held = new HeldVerdicts(log);
    const [a, b] = [srv(1), srv(2)];
    const others = held.takeRead([a, verdict(b), agentCheckMarker(a, "http")]);
    assert.deepEqual(others, [a, agentCheckMarker(a, "http")]);
    assert.equal(held.size, 1);
    assert.ok(held.holds(b));
    assert.ok(!held.holds(a));
    assert.deepEqual(held.markers(), [verdict(b)]);
    assert.deepEqual(actions, ["verdict"]);
  });

  it("logs a verdict once, and its lifting when a re-read of its name no longer finds it", () => {
    const { log, actions } = recordingLog();
    const held = new HeldVerdicts(log);
    const b = srv(2);
    held.takeRead([verdict(b)]);
    held.takeRead([verdict(b)], new Set([b.Name]));
    assert.deepEqual(actions, ["verdict"], "the same verdict read again is not news");
    held.takeRead([], new Set([b.Name]));
    assert.deepEqual(actions, ["verdict", "verdict-lifted"]);
    assert.equal(held.size, 0);
  });

  it("keeps the verdicts on names a partial re-read did not cover", () => {
    const held = new HeldVerdicts(recordingLog().log);
    const [calc, time] = [srv(1, "calc"), srv(2, "time")];
    held.takeRead([verdict(calc), verdict(time)]);
    held.takeRead([], new Set([calc.Name]));
    assert.ok(!held.holds(calc));
    assert.ok(held.holds(time));
  });

  it("a full read replaces every verdict and logs no lifting", () => {
    const { log, actions } = recordingLog();
    const held = new HeldVerdicts(log);
    held.takeRead([verdict(srv(1))]);
    held.takeRead([]);
    assert.equal(held.size, 0);
    assert.deepEqual(actions, ["verdict"]);
  });

  it("takes over a verdict written before deployments had names: not held, returned as applied (so deleted)", () => {
    const { log, actions } = recordingLog();
    const held = new HeldVerdicts(log, "stack-a");
    const legacy = verdict(srv(3));
    const marked = {
      ...verdict(srv(4)),
      SetIdentifier: `ecssd2:stack-a:${HOST}:${(4).toString(16).padStart(24, "0")}:8080`,
    };
    const others = held.takeRead([legacy, marked]);
    assert.deepEqual(others, [legacy]);
    assert.equal(held.size, 1);
    assert.ok(held.holds(marked));
    assert.ok(actions.includes("verdict-taken-over"));
    // Without a deployment the agent writes unattributed sets itself, and their verdicts hold as before.
    const unmarked = new HeldVerdicts(log);
    assert.deepEqual(unmarked.takeRead([legacy]), []);
    assert.equal(unmarked.size, 1);
  });
});
