// ECSSD_EMF is one row, shared by the four components' tables: each reads it with its other settings (a bad value
// is named in the component's own config error, before anything starts), and each writer writes it back.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { AGENT_SETTINGS, agentEnvironment, loadAgentConfig, SETTINGS } from "../../agent/config";
import { COALESCER_SETTINGS, coalescerConfigFromEnv, coalescerEnvironment } from "../../coalescer/config";
import { emfEnabled } from "../../metrics/emf";
import { configFromEnv, RECONCILER_SETTINGS, reconcilerEnvironment } from "../../reconciler/config";
import { REGISTRAR_SETTINGS, registrarConfigFromEnv, registrarEnvironment } from "../../registrar/config";
import { EMF } from "../../settings/sharedSettings";

type Env = Record<string, string | undefined>;

const ecssd = path.join(__dirname, "..", "..", "bin", "ecssd.js");
/** Runs `ecssd` with ECSSD_EMF as given and no other ECSSD_ setting; returns its exit status and stderr. */
function run(emf: string, ...args: string[]): { status: number | null; stderr: string } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ECSSD_")));
  const r = spawnSync(process.execPath, [ecssd, ...args], {
    env: { ...env, ECSSD_EMF: emf },
    encoding: "utf8",
    timeout: 30_000,
  });
  return { status: r.status, stderr: r.stderr };
}

const components: [
  string,
  { env: string },
  (env: Env) => { emf: boolean },
  (c: { emf: boolean }) => Env,
  RegExp,
][] = [
  ["agent", AGENT_SETTINGS.emf, (env) => loadAgentConfig(env), agentEnvironment, /^Invalid agent config:/],
  [
    "coalescer",
    COALESCER_SETTINGS.emf,
    coalescerConfigFromEnv,
    coalescerEnvironment,
    /^Invalid coalescer config:/,
  ],
  [
    "registrar",
    REGISTRAR_SETTINGS.emf,
    registrarConfigFromEnv,
    registrarEnvironment,
    /^Invalid registrar config:/,
  ],
  [
    "reconciler",
    RECONCILER_SETTINGS.emf,
    configFromEnv,
    reconcilerEnvironment,
    /^Invalid reconciler config:/,
  ],
];

describe("ECSSD_EMF, one row of every component's settings", () => {
  for (const [name, row, read, write, invalid] of components) {
    it(`the ${name} reads it through its config: on by default, off when told, in any case`, () => {
      assert.equal(row.env, EMF.env);
      assert.equal(read({}).emf, true);
      assert.equal(read({ ECSSD_EMF: " on " }).emf, true);
      assert.equal(read({ ECSSD_EMF: "OFF" }).emf, false);
      assert.equal(read({ ECSSD_EMF: "" }).emf, true);
      assert.deepEqual(write({ emf: false }), { ECSSD_EMF: "off" });
      assert.deepEqual(write({ emf: true }), { ECSSD_EMF: "on" });
    });

    it(`the ${name} refuses any other value at start, naming the setting`, () => {
      assert.throws(
        () => read({ ECSSD_EMF: "no" }),
        (err: Error) => {
          assert.match(err.message, invalid);
          assert.match(err.message, /\n - \[ECSSD_EMF\] must be "on" or "off", not "no"$/);
          return true;
        },
      );
    });
  }

  it("the agent takes --emf over the environment, and names the flag when it is wrong", () => {
    assert.equal(SETTINGS.emf.flag, "--emf");
    assert.equal(loadAgentConfig({ ECSSD_EMF: "on" }, { emf: "off" }).emf, false);
    assert.equal(loadAgentConfig({ ECSSD_EMF: "off" }, { emf: "on" }).emf, true);
    assert.throws(
      () => loadAgentConfig({}, { emf: "maybe" }),
      /\[--emf\] must be "on" or "off", not "maybe"/,
    );
  });

  it("a wrong value stops `ecssd coalescer` and `ecssd agent` at start, naming the variable or the flag", function () {
    this.timeout(60_000);
    const coalescer = run("maybe", "coalescer");
    assert.equal(coalescer.status, 1);
    assert.match(
      coalescer.stderr,
      /Invalid coalescer config:\n - \[ECSSD_EMF\] must be "on" or "off", not "maybe"/,
    );
    const agent = run("off", "agent", "--emf", "sometimes", "--host-id", "h1", "--host-ip", "10.0.0.1");
    assert.equal(agent.status, 1);
    assert.match(agent.stderr, /Invalid agent config:\n - \[--emf\] must be "on" or "off", not "sometimes"/);
  });

  it("emfEnabled, for code without a config, reads the same row", () => {
    for (const text of ["on", "off", "On", " off ", ""])
      assert.equal(emfEnabled({ ECSSD_EMF: text }), configFromEnv({ ECSSD_EMF: text }).emf, text);
    assert.throws(() => emfEnabled({ ECSSD_EMF: "1" }), /\[ECSSD_EMF\] must be "on" or "off", not "1"/);
  });
});
