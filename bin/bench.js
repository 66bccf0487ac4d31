#!/usr/bin/env node
// `npm run bench -- <name>...` runs bench/<name>.ts (all of them when no name is given).
// Each benchmark prints its figures and, as its last line, one JSON object.
const fs = require("node:fs");
const path = require("node:path");
process.env.TSX_TSCONFIG_PATH ??= path.join(__dirname, "..", "tsconfig.json");
// On Node.js below 22 the AWS SDK prints, once per process, that its releases after January 2027 will need
// Node.js 22. What we ship runs on Node.js 24 (images, Lambdas); this tooling may still be started by an older
// machine Node.js with the SDK the lockfile pins, where the notice is noise about a future the user does not
// reach here. The SDK's own switch turns off exactly that notice; a user's explicit setting is kept.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
require("tsx/cjs");

const dir = path.join(__dirname, "..", "bench");
const known = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith(".ts"))
  .map((f) => f.slice(0, -3))
  .sort();
const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!known.includes(name)) {
    console.error(`unknown benchmark "${name}"; known: ${known.join(", ")}`);
    process.exit(2);
  }
}
(async () => {
  for (const name of wanted.length ? wanted : known) {
    console.log(`# bench ${name}`);
    await require(path.join(dir, `${name}.ts`)).main();
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
