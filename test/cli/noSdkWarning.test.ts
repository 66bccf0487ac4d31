// A command that talks to Route53 prints its answer and nothing the user cannot act on: no AWS SDK notice about
// Node.js versions, on the machine's own Node.js (which may be older than what we ship) or on the one running
// the tests.
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { type LocalZone, startLocalZone } from "../../local/zone";

const ecssd = path.join(__dirname, "..", "..", "bin", "ecssd.js");

/** The `node` first on PATH once the project's own runtimes (.node-runtimes) are left out. */
function machineNode(): string | undefined {
  const PATH = (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((dir) => !dir.includes(".node-runtimes"))
    .join(path.delimiter);
  try {
    return (
      execFileSync("bash", ["--norc", "--noprofile", "-c", "command -v node"], {
        env: { PATH },
        encoding: "utf8",
      }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

describe("ecssd output", () => {
  let zone: LocalZone | undefined;
  after(async () => zone?.close());

  it("carries no AWS SDK Node.js version notice", async () => {
    zone = await startLocalZone();
    const nodes = [...new Set([process.execPath, machineNode()].filter((n): n is string => n !== undefined))];
    for (const node of nodes) {
      const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _, ...env } = process.env;
      // Asynchronous: the zone answering the command runs in this very process.
      const result = await promisify(execFile)(node, [ecssd, "reconcile", "--dry-run"], {
        env: {
          ...env,
          ECSSD_ROUTE53_ENDPOINT: zone.apiUrl,
          ECSSD_ZONE_ID: zone.hostedZoneId,
          ECSSD_INVENTORY: "docker",
          ECSSD_HOST_ID: "no-sdk-warning",
        },
        encoding: "utf8",
        timeout: 60_000,
      });
      const version = execFileSync(node, ["-v"], { encoding: "utf8" }).trim();
      assert.match(result.stdout, /"dryRun": true/, version);
      assert.doesNotMatch(
        result.stderr,
        /NodeVersionSupportWarning|Warning:/,
        `${version} printed: ${result.stderr}`,
      );
    }
  });
});
