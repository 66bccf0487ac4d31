// The stack's settings that the program hands to the agent, the registrar and the reconciler agree with those
// components' settings tables: the same defaults in Pulumi.yaml and infra/config.ts, and ranges within the
// ones their readers enforce at run time.
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { AGENT_SETTINGS } from "../../agent/config";
import { CONFIG_DEFAULTS, parseStackConfig, STACK_RANGES } from "../../infra/config";
import { RECONCILER_SETTINGS } from "../../reconciler/config";
import { REGISTRAR_SETTINGS } from "../../registrar/config";
import { defaultText, type Setting } from "../../settings/settingsTable";

/** Each stack key handed to a component, and the settings it becomes there. */
const HANDED: Record<string, readonly Setting<unknown>[]> = {
  zoneName: [AGENT_SETTINGS.zoneName, RECONCILER_SETTINGS.zoneName, REGISTRAR_SETTINGS.zoneName],
  srvTtl: [AGENT_SETTINGS.srvTtl, REGISTRAR_SETTINGS.srvTtl],
  checkHealth: [RECONCILER_SETTINGS.checkHealth],
  healthPath: [RECONCILER_SETTINGS.healthPath],
  healthTimeoutMs: [RECONCILER_SETTINGS.healthTimeoutMs],
  healthConcurrency: [RECONCILER_SETTINGS.healthConcurrency],
  stopUnhealthyTasks: [RECONCILER_SETTINGS.stopUnhealthyTasks],
  dryRun: [RECONCILER_SETTINGS.dryRun],
  maxDeleteShare: [RECONCILER_SETTINGS.maxDeleteShare],
  closedNamespace: [
    AGENT_SETTINGS.serviceOwnersClosed,
    RECONCILER_SETTINGS.serviceOwnersClosed,
    REGISTRAR_SETTINGS.serviceOwnersClosed,
  ],
};

function pulumiYaml(): Record<string, { default?: unknown; description: string }> {
  const { load } = require("js-yaml") as { load(text: string): unknown };
  const text = readFileSync(path.join(__dirname, "..", "..", "Pulumi.yaml"), "utf8");
  return (load(text) as { config: Record<string, { default?: unknown; description: string }> }).config;
}

describe("stack settings and the components' settings tables", () => {
  const declared = pulumiYaml();

  for (const [key, settings] of Object.entries(HANDED)) {
    it(`declares ecssd:${key}'s default in Pulumi.yaml and infra/config.ts as ${settings.map((s) => s.env).join(", ")}`, () => {
      for (const setting of settings) {
        assert.equal(
          String(declared[`ecssd:${key}`]?.default),
          defaultText(setting),
          `Pulumi.yaml, ${setting.env}`,
        );
        assert.equal(CONFIG_DEFAULTS[key as keyof typeof CONFIG_DEFAULTS], defaultText(setting), setting.env);
      }
    });
  }

  for (const [key, range] of Object.entries(STACK_RANGES)) {
    it(`keeps ecssd:${key} (${range.min} to ${range.max}) within what its readers accept, and says so in Pulumi.yaml`, () => {
      for (const setting of HANDED[key] ?? []) {
        assert.ok(setting.range, `${setting.env} has a range`);
        assert.ok(range.min >= setting.range.min && range.max <= setting.range.max, setting.env);
      }
      assert.match(
        declared[`ecssd:${key}`]?.description ?? "",
        new RegExp(`\\(${range.min} to ${range.max}\\)`),
      );
      const ends = [range.min, range.max].map((n) =>
        parseStackConfig({ "aws:region": "eu-west-1", [`ecssd:${key}`]: String(n) }),
      );
      assert.deepEqual(
        ends.map((c) => c[key as keyof typeof c]),
        [range.min, range.max],
      );
    });
  }
});
