// Builds the project's container images offline: esbuild bundles a service into one file under
// dist/images/<service>/, then `docker build` runs with the repository root as context (the root
// .dockerignore lets only dist/images/ in), on a base image given as a build argument.
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { build, type Plugin } from "esbuild";
import { withDirLock } from "./dirLock";
import { IMAGE_CATALOG, IMAGE_NAMES, type ImageName, isImageName, SHIPPED_NODE_MAJOR } from "./imageCatalog";

const run = promisify(execFile);

/** The repository root: the build context of every image. */
export const REPO_ROOT = join(__dirname, "..");

/** What an image needs beyond its catalog entry. */
interface ImageRecipe {
  /** Files copied next to the bundle: [from (repository-relative or absolute), to (bundle-relative)]. */
  readonly extras: (bundleDir: string) => void;
  /** esbuild plugins for what cannot be bundled as it is. */
  readonly plugins?: Plugin[];
}

/** The tz database without its duplicate posix/ and right/ trees (about 2 MB): Go-style zone abbreviations. */
function copyZoneinfo(bundleDir: string): void {
  const target = join(bundleDir, "zoneinfo");
  mkdirSync(target, { recursive: true });
  const source = "/usr/share/zoneinfo";
  if (!existsSync(source)) return; // the service then falls back to ICU's names
  cpSync(source, target, {
    recursive: true,
    dereference: true,
    filter: (src) => !/\/zoneinfo\/(posix|right)(\/|$)/.test(src),
  });
}

/**
 * dockerode loads ssh2 (native, optional) for `ssh://` hosts only; the agent talks to the local socket,
 * so its bundle gets a stand-in that says so instead of a native module it cannot carry.
 */
const noSsh2: Plugin = {
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

const RECIPES: Record<ImageName, ImageRecipe> = {
  agent: { extras: () => {}, plugins: [noSsh2] },
  coalescer: { extras: () => {} },
  time: { extras: copyZoneinfo },
  calc: { extras: () => {} },
  portal: {
    extras: (dir) =>
      cpSync(join(REPO_ROOT, "examples/portal/public"), join(dir, "public"), { recursive: true }),
  },
};

/** Services that have an image. */
export const IMAGE_SERVICES: readonly string[] = IMAGE_NAMES;

function imageOf(service: string): ImageName {
  if (!isImageName(service))
    throw new Error(`no image for "${service}": known are ${IMAGE_NAMES.join(", ")}`);
  return service;
}

export interface BuildImageOptions {
  /** Image tag. Default `ecssd/<service>:local`. */
  readonly tag?: string;
  /** Base image. Default: BASE_IMAGE from the environment, else what scripts/base-image.sh prints. */
  readonly baseImage?: string;
}

let baseImageOnce: Promise<string> | undefined;

/**
 * The base image: the normal Node.js image when present or pullable, else one made from this machine's Node.js.
 * Asked for once per process: the stack builds its images in parallel, and each would otherwise run the
 * script (the script is safe to run at once, but one run is what a build needs). A failure is not kept, so
 * the next build asks again.
 */
export function baseImage(): Promise<string> {
  if (process.env.BASE_IMAGE) return Promise.resolve(process.env.BASE_IMAGE);
  baseImageOnce ??= makeBaseImage().catch((err: unknown) => {
    baseImageOnce = undefined;
    throw err;
  });
  return baseImageOnce;
}

async function makeBaseImage(): Promise<string> {
  const { stdout } = await run("bash", [join(REPO_ROOT, "scripts/base-image.sh")], { timeout: 300_000 });
  const name = stdout.trim().split("\n").at(-1) ?? "";
  if (name === "") throw new Error("scripts/base-image.sh printed no image name");
  return name;
}

/** Bundles the service into dist/images/<service>/main.js (plus its static files); returns that folder. */
export async function bundleService(service: string): Promise<string> {
  const image = imageOf(service);
  const recipe = RECIPES[image];
  const dir = join(REPO_ROOT, "dist", "images", service);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [join(REPO_ROOT, IMAGE_CATALOG[image].entry)],
    outfile: join(dir, "main.js"),
    bundle: true,
    platform: "node",
    target: `node${SHIPPED_NODE_MAJOR}`,
    format: "cjs",
    minify: true,
    sourcemap: false,
    legalComments: "none",
    logLevel: "error",
    plugins: recipe.plugins,
    // The root tsconfig maps @ecssd/resolver to its source, so no separate build is needed.
    tsconfig: join(REPO_ROOT, "tsconfig.json"),
  });
  recipe.extras(dir);
  return dir;
}

/**
 * Bundles a service and builds its image with `docker build`; resolves with the tag.
 * @example await buildImage("calc", { tag: "ecssd/calc:dev" })
 */
export async function buildImage(service: string, opts: BuildImageOptions = {}): Promise<string> {
  const tag = opts.tag ?? `ecssd/${service}:local`;
  const image = imageOf(service);
  const base = opts.baseImage ?? (await baseImage());
  return withBuildLock(() => bundleAndBuild(image, base, tag));
}

const LOCK_DIR = join(REPO_ROOT, "dist", "images", ".build.lock");

/**
 * Runs one image build at a time across processes: every build sends all of dist/images/ as its
 * context, so a bundle being rewritten by another build would corrupt it. A lock left by a build that was
 * stopped (Ctrl-C while the stack builds its images) is taken over at once by the next.
 */
function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  return withDirLock(
    LOCK_DIR,
    { what: "image build", say: (line) => process.stderr.write(`[images] ${line}\n`) },
    fn,
  );
}

async function bundleAndBuild(service: ImageName, base: string, tag: string): Promise<string> {
  await bundleService(service);
  try {
    await run(
      "docker",
      [
        "build",
        "-q",
        "--network",
        "none",
        "-f",
        join(REPO_ROOT, IMAGE_CATALOG[service].dockerfile),
        "--build-arg",
        `BASE_IMAGE=${base}`,
        "-t",
        tag,
        REPO_ROOT,
      ],
      // The classic builder: BuildKit needs the buildx plugin, which machines without a registry may lack.
      // No network for RUN steps: they only check the bundle, and need no bridge on the host.
      { env: { ...process.env, DOCKER_BUILDKIT: "0" }, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`docker build of ${service} failed: ${(e.stderr || e.stdout || e.message).trim()}`, {
      cause: err,
    });
  }
  // The classic builder keeps the verify stage as untagged images (labelled ecssd.stage=verify, a few
  // hundred KB each). They are left alone: pruning them while another build runs breaks that build.
  return tag;
}

/** Size in bytes of the bundle of a service (after bundleService), for reports. */
export function bundleSize(service: string): number {
  return statSync(join(REPO_ROOT, "dist", "images", service, "main.js")).size;
}
