// `npm run test:quick`: every test file but those test/kit/needsEngine.json lists as needing a Docker
// engine, moto's server or Chromium, run with none of the three reachable (test/kit/quickRun.ts), so a
// test that starts needing one fails here until it is listed.
const base = require("../../.mocharc.json");
const needsEngine = require("./needsEngine.json");

module.exports = {
  ...base,
  spec: ["test/**/*.test.ts"],
  ignore: Object.keys(needsEngine),
  require: [...base.require, "test/kit/quickRunSetup.ts"],
};
