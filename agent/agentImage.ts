// Builds the agent's image the way local/images.ts builds the example services: esbuild bundles
// agent/main.ts into dist/images/agent/main.js, then `docker build` runs agent/Dockerfile with the
// repository root as context and BASE_IMAGE as a build argument.
import { execFile } from "node:child_process";
import { mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { build, type Plugin } from "esbuild";

const run = promisify(execFile);
const REPO_ROOT = join(__dirname, "..");
export const AGENT_BUNDLE_DIR = join(REPO_ROOT, "dist", "images", "agent");

/**
 * dockerode loads ssh2 (native, optional) for `ssh://` hosts only; the agent talks to the local socket,
 * so the bundle gets a stand-in that says so instead of a native module it cannot carry.
 */
const noSsh: Plugin = {
  name: "no-ssh2",
  setup(b) {
    b.onResolve({ filter: /^ssh2$/ }, () => ({ path: "ssh2", namespace: "no-ssh2" }));
    b.onLoad({ filter: /.*/, namespace: "no-ssh2" }, () => ({
      contents:
        'module.exports = { Client: function () { throw new Error("the agent image does not support ssh:// Docker hosts; mount the Docker socket"); } };',
      loader: "js",
    }));
  },
};

/** Bundles the agent into dist/images/agent/main.js; returns its size in bytes. */
export async function bundleAgent(): Promise<number> {
  rmSync(AGENT_BUNDLE_DIR, { recursive: true, force: true });
  mkdirSync(AGENT_BUNDLE_DIR, { recursive: true });
  const outfile = join(AGENT_BUNDLE_DIR, "main.js");
  await build({
    entryPoints: [join(REPO_ROOT, "agent", "main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    legalComments: "none",
    logLevel: "error",
    plugins: [noSsh],
    tsconfig: join(REPO_ROOT, "tsconfig.json"),
  });
  return statSync(outfile).size;
}

/** Bundles and builds the agent image; resolves with its tag. */
export async function buildAgentImage(baseImage: string, tag = "ecssd/agent:local"): Promise<string> {
  await bundleAgent();
  try {
    await run(
      "docker",
      [
        "build",
        "-q",
        "--network",
        "none",
        "-f",
        join(REPO_ROOT, "agent", "Dockerfile"),
        "--build-arg",
        `BASE_IMAGE=${baseImage}`,
        "-t",
        tag,
        REPO_ROOT,
      ],
      { env: { ...process.env, DOCKER_BUILDKIT: "0" }, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`docker build of the agent failed: ${(e.stderr || e.stdout || e.message).trim()}`, {
      cause: err,
    });
  }
  await run("docker", ["image", "prune", "-f", "--filter", "label=ecssd.stage=verify"], {
    timeout: 60_000,
  }).catch(() => {});
  return tag;
}
