// Every policy document the program writes, linted by parliament (PyPI), an independent linter that checks them
// against AWS's catalogue of actions, resource ARN shapes and condition keys. Any finding fails the test unless it
// is listed in ACCEPTED with the reason we keep it; a new finding of any severity is a failure to look at.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ACCOUNT, BROUGHT, type ProgramMocks, REGION } from "./support/programMocks";
import { runProgram } from "./support/runProgram";

const PARLIAMENT = path.join(__dirname, "..", "..", ".venv-parliament", "bin", "parliament");

interface Finding {
  issue: string;
  severity: string;
  detail: unknown;
  location: { filepath: string };
}

/** Findings we keep, by issue and document (and detail, where one is named), with why. */
const ACCEPTED: { issue: string; document: RegExp; detail?: string; why: string }[] = [
  {
    issue: "RESOURCE_STAR",
    document: /reconciler-policy\.policy\.json$/,
    detail: '["ecs:ListTasks"]',
    why:
      "ListTasks takes the cluster as a parameter and its resource is the container instance, which the " +
      "reconciler does not know in advance; the statement is scoped by the ecs:cluster condition instead.",
  },
  {
    issue: "RESOURCE_STAR",
    document: /(secrets|token)-key\.policy\.json$/,
    why:
      'A key policy is attached to one key, and in it "*" means that key: AWS\'s key policies are written so. ' +
      "Who may use it is the principals and conditions of each statement, which the program's tests assess.",
  },
];

/**
 * The documents as parliament reads them. A trust policy has no Resource (the role it sits on is the resource),
 * and parliament lints identity policies only, so a trust statement is linted with that role's ARN as its
 * Resource: the action, the principal's form and the condition keys are then checked like any other.
 */
function documents(mocks: ProgramMocks): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of mocks.resources) {
    for (const [input, value] of Object.entries(r.inputs)) {
      if (typeof value !== "string" || !value.includes('"Statement"')) continue;
      const doc = JSON.parse(value) as { Statement: Record<string, unknown>[] };
      if (input === "assumeRolePolicy") {
        for (const s of doc.Statement) s.Resource = `arn:aws:iam::${ACCOUNT}:role/${r.name}`;
      }
      out.set(`${r.name}.${input}.json`, JSON.stringify(doc, null, 2));
    }
  }
  return out;
}

async function lint(mocks: ProgramMocks): Promise<{ findings: Finding[]; files: string[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), "ecssd-parliament-"));
  try {
    const docs = documents(mocks);
    for (const [file, text] of docs) writeFileSync(path.join(dir, file), text);
    // parliament exits non-zero when it finds something; its JSON lines are on stdout either way.
    const { stdout } = await promisify(execFile)(
      PARLIAMENT,
      ["--directory", dir, "--include_policy_extension", ".json", "--json", "--minimum_severity", "INFO"],
      { timeout: 120_000 },
    ).catch((err: { stdout?: string; code?: number }) => {
      if (typeof err.code === "number" && err.stdout !== undefined) return { stdout: err.stdout };
      throw err;
    });
    const findings = stdout
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as Finding);
    return { findings, files: [...docs.keys()] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const accepted = (f: Finding) =>
  ACCEPTED.some(
    (a) =>
      a.issue === f.issue &&
      a.document.test(f.location.filepath) &&
      (a.detail === undefined || a.detail === JSON.stringify(f.detail)),
  );

const EXAMPLES = { "ecssd:examples": "true", "ecssd:examplesPassword": "Passw0rd-for-parliament" };
/** Each stack config, with how many identity and trust policies it writes at least. */
const configs: [string, Record<string, string>, { policies: number; trusts: number }][] = [
  ["defaults with the examples", EXAMPLES, { policies: 3, trusts: 5 }],
  [
    "per-host writing: the registrar Lambda, no coalescer",
    { ...EXAMPLES, "ecssd:coalescer": "false" },
    { policies: 3, trusts: 5 },
  ],
  [
    "task stopping on, health checks off",
    { ...EXAMPLES, "ecssd:stopUnhealthyTasks": "true", "ecssd:checkHealth": "false" },
    { policies: 3, trusts: 5 },
  ],
  [
    "everything brought, no examples",
    {
      "ecssd:vpcId": BROUGHT.vpcId,
      "ecssd:privateSubnetIds": JSON.stringify(BROUGHT.privateSubnetIds),
      "ecssd:clusterName": BROUGHT.clusterName,
      "ecssd:zoneId": BROUGHT.zoneId,
      "ecssd:stopUnhealthyTasks": "true",
    },
    { policies: 2, trusts: 3 },
  ],
];

describe("policy documents, linted by parliament", function () {
  this.timeout(180_000);

  before(() => {
    assert.ok(existsSync(PARLIAMENT), "parliament is missing: run bash scripts/setup-machine.sh");
  });

  for (const [name, config, least] of configs) {
    it(`has no finding we have not accepted (${name})`, async () => {
      const { mocks } = await runProgram({
        "aws:region": REGION,
        ...config,
      });
      const { findings, files } = await lint(mocks);
      // Identity policies of the agent or the coalescer, the reconciler (and the examples' execution role), and every
      // trust policy.
      assert.ok(files.filter((f) => f.endsWith(".policy.json")).length >= least.policies, files.join(", "));
      assert.ok(
        files.filter((f) => f.endsWith(".assumeRolePolicy.json")).length >= least.trusts,
        files.join(", "),
      );
      const fresh = findings.filter((f) => !accepted(f));
      assert.deepEqual(
        fresh.map(
          (f) =>
            `${f.severity} ${f.issue} in ${path.basename(f.location.filepath)}: ${JSON.stringify(f.detail)}`,
        ),
        [],
      );
    });
  }
});
