// Each command's help lists its component's settings from the component's settings table.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { AGENT_SETTINGS } from "../../agent/config";
import { COALESCER_SETTINGS } from "../../coalescer/config";
import { RECONCILER_SETTINGS } from "../../reconciler/config";
import { REGISTRAR_SETTINGS } from "../../registrar/config";
import type { Setting } from "../../settings/settingsTable";

const ecssd = path.join(__dirname, "..", "..", "bin", "ecssd.js");
const help = (...args: string[]) =>
  execFileSync(process.execPath, [ecssd, ...args, "--help"], { encoding: "utf8" });

describe("settings in the command line's help", () => {
  const cases: [string, string[], Record<string, Setting<unknown>>][] = [
    ["reconcile", ["reconcile"], RECONCILER_SETTINGS],
    ["task-event", ["task-event"], REGISTRAR_SETTINGS],
    ["agent", ["agent"], AGENT_SETTINGS],
    ["coalescer", ["coalescer"], COALESCER_SETTINGS],
  ];
  for (const [name, args, table] of cases) {
    it(`ecssd ${name} --help names every setting of its table, with its default`, () => {
      const out = help(...args).replace(/\s+/g, " ");
      for (const setting of Object.values(table)) {
        assert.ok(out.includes(setting.env), `${setting.env} is listed`);
        if (typeof setting.default === "number")
          assert.ok(out.includes(`default ${setting.default}`), setting.env);
      }
    });
  }

  it("lists ECSSD_SERVICE_OWNERS for ecssd reconcile", () => {
    assert.match(help("reconcile"), /ECSSD_SERVICE_OWNERS/);
  });
});
