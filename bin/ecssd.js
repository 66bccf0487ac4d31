#!/usr/bin/env node
// Entry point of the `ecssd` command. Runs the TypeScript sources through tsx so that a clone
// works after `npm ci` with no build step; container images bundle the same sources instead.
const path = require("node:path");
process.env.TSX_TSCONFIG_PATH ??= path.join(__dirname, "..", "tsconfig.json");
require("tsx/cjs");
require("../cli/main.ts").main(process.argv);
