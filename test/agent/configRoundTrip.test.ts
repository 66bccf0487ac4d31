// The agent's settings codec: what infra/, the local stack and the benches write is what the agent reads.
import { strict as assert } from "node:assert";
import { AGENT_SETTINGS, type AgentConfig, agentEnvironment, loadAgentConfig } from "../../agent/config";
import { roundTripCases } from "../settings/roundTrip";

describe("agent settings codec", () => {
  roundTripCases<AgentConfig>({
    table: AGENT_SETTINGS,
    read: (env) => loadAgentConfig(env),
    write: agentEnvironment,
  });

  it("writes only the settings given, and the agent takes its defaults for the rest", () => {
    assert.deepEqual(agentEnvironment({ flushMs: 75, hostId: "host-a" }), {
      ECSSD_HOST_ID: "host-a",
      ECSSD_FLUSH_MS: "75",
    });
    assert.deepEqual(loadAgentConfig(agentEnvironment({})), loadAgentConfig({}));
  });

  it("refuses to write a value the agent would refuse", () => {
    assert.throws(() => agentEnvironment({ srvTtl: -1 }), /-1 is not an integer from 0 to 2147483647/);
    assert.throws(() => agentEnvironment({ hostIp: "10.0.0.256" }), /\[ECSSD_HOST_IP\]/);
    assert.throws(() => agentEnvironment({ zoneName: "nodots" }), /\[ECSSD_ZONE_NAME\]/);
  });

  it("has a flag, a meaning and a variable of its own for every setting", () => {
    const envs = Object.values(AGENT_SETTINGS).map((s) => s.env);
    assert.equal(new Set(envs).size, envs.length);
    for (const s of Object.values(AGENT_SETTINGS)) assert.ok(s.meaning.length > 5, s.env);
  });
});
