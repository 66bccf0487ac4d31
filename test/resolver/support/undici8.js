// Loaded with `--require` (mocha, or a child Node.js) to run the resolver on undici 8: every `require("undici")`
// of the process, the resolver's own included, gets the `undici8` devDependency (npm:undici@^8) in place of the
// undici 7 installed as `undici`, which is what a consumer who installed undici 8 has. Nothing else changes.
// undici 8 needs Node.js 22.19 or later; on an older Node.js this stops the process with that said.
const Module = require("node:module");

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  throw new Error(`undici 8 needs Node.js 22.19 or later; this is ${process.version}`);
}

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const swapped =
    request === "undici" || request.startsWith("undici/") ? `undici8${request.slice(6)}` : request;
  return resolveFilename.call(this, swapped, ...rest);
};
