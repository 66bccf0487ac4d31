import assert from "node:assert/strict";
import { classifyEvent, type EventEffect } from "../../agent/containerEvents";
import { parseEvent } from "../../agent/dockerSource";

const ID = "a".repeat(64);

describe("agent container events", () => {
  const table: [string, string | undefined, EventEffect][] = [
    ["kill", "15", "stopping"],
    ["kill", "SIGTERM", "stopping"],
    ["kill", "TERM", "stopping"],
    ["kill", "9", "stopping"],
    ["kill", "SIGKILL", "stopping"],
    ["kill", "2", "stopping"],
    ["kill", "SIGQUIT", "stopping"],
    ["kill", "1", "ignore"],
    ["kill", "SIGHUP", "ignore"],
    ["kill", "SIGUSR1", "ignore"],
    ["kill", "10", "ignore"],
    ["stop", undefined, "stopping"],
    ["die", undefined, "stopping"],
    ["destroy", undefined, "forget"],
    ["pause", undefined, "withdraw"],
    ["unpause", undefined, "refresh"],
    ["start", undefined, "refresh"],
    ["health_status: healthy", undefined, "refresh"],
    ["health_status: unhealthy", undefined, "withdraw"],
    ["health_status: starting", undefined, "ignore"],
    ["exec_start: node -e 1", undefined, "ignore"],
    ["rename", undefined, "ignore"],
  ];
  for (const [action, signal, effect] of table) {
    it(`${action}${signal ? ` ${signal}` : ""} → ${effect}`, () => {
      assert.equal(classifyEvent({ id: ID, action, ...(signal ? { signal } : {}) }), effect);
    });
  }

  it("parses Docker's event lines and rejects anything else", () => {
    const line = JSON.stringify({
      Type: "container",
      Action: "kill",
      Actor: { ID, Attributes: { signal: "15", name: "x" } },
    });
    assert.deepEqual(parseEvent(line), { id: ID, action: "kill", signal: "15" });
    assert.equal(
      parseEvent(JSON.stringify({ Type: "network", Action: "connect", Actor: { ID } })),
      undefined,
    );
    assert.equal(parseEvent("{not json"), undefined);
    assert.equal(parseEvent("null"), undefined);
    assert.equal(
      parseEvent(JSON.stringify({ Type: "container", Action: "start", Actor: { ID: "../x" } })),
      undefined,
    );
  });
});
