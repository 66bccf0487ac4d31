#!/usr/bin/env node
// Entry point of the `ecssd` command. Runs the TypeScript sources through tsx so that a clone
// works after `npm ci` with no build step; container images bundle the same sources instead.
const path = require("node:path");
process.env.TSX_TSCONFIG_PATH ??= path.join(__dirname, "..", "tsconfig.json");
// On Node.js below 22 the AWS SDK prints, once per process, that its releases after January 2027 will need
// Node.js 22. What we ship runs on Node.js 24 (images, Lambdas); this tooling may still be started by an older
// machine Node.js with the SDK the lockfile pins, where the notice is noise about a future the user does not
// reach here. The SDK's own switch turns off exactly that notice; a user's explicit setting is kept.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
require("tsx/cjs");
require("../cli/main.ts").main(process.argv);
