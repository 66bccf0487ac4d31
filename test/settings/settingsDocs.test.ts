// Each component's README lists every setting of its table, with the table's default: the page is written
// by hand, and this keeps it from drifting from the table the reader and the writer use.
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { AGENT_SETTINGS } from "../../agent/config";
import { COALESCER_SETTINGS } from "../../coalescer/config";
import { RECONCILER_SETTINGS } from "../../reconciler/config";
import { REGISTRAR_SETTINGS } from "../../registrar/config";
import { defaultText, type Setting } from "../../settings/settingsTable";

const ROOT = path.join(__dirname, "..", "..");

describe("settings tables in the component READMEs", () => {
  const cases: [string, Record<string, Setting<unknown>>][] = [
    ["agent/README.md", AGENT_SETTINGS],
    ["coalescer/README.md", COALESCER_SETTINGS],
    ["reconciler/README.md", RECONCILER_SETTINGS],
    ["registrar/README.md", REGISTRAR_SETTINGS],
  ];
  for (const [page, table] of cases) {
    it(`${page} has a row for every setting of its table, with its default`, () => {
      const rows = readFileSync(path.join(ROOT, page), "utf8")
        .split("\n")
        .filter((line) => line.startsWith("| `ECSSD_"));
      for (const setting of Object.values(table)) {
        const row = rows.find((r) => r.split("|")[1]?.includes(`\`${setting.env}\``));
        assert.ok(row, `${page} lists ${setting.env}`);
        const dflt = setting.default === undefined ? "" : defaultText(setting);
        if (dflt !== "")
          assert.ok(
            row.split("|").slice(2).join("|").includes(dflt),
            `${page}: ${setting.env} defaults to ${dflt}`,
          );
      }
    });
  }
});
