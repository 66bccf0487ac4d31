import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** What docker builds an image from: the files of its context, its Dockerfile, build arguments and platform. */
export interface ImageInputs {
  /** The part of the build context the root .dockerignore admits (dist/images/). */
  readonly contextDir: string;
  readonly dockerfile: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly platform: string;
}

/**
 * Skipped: the image builder's cross-process lock (images/imageBuilder.ts), there only while a build runs,
 * and the folder beside it that a waiter holds for a few milliseconds to take over a dead build's lock
 * (images/dirLock.ts).
 */
const TRANSIENT = new Set([".build.lock", ".build.lock.takeover"]);

/**
 * The tag an image is pushed under: a hash of everything docker builds it from. Our repositories refuse to move
 * a tag (IMMUTABLE), so a tag must name one content: when any input changes, the tag does, and a rebuild of
 * unchanged inputs is not pushed again (the image's build is only redone when its context changes).
 *
 * @example contentTag({ contextDir: "dist/images", dockerfile: "examples/time/Dockerfile", buildArgs: {}, platform: "linux/amd64" })
 */
export function contentTag(inputs: ImageInputs): string {
  const hash = createHash("sha256");
  const field = (name: string, value: string | Buffer) => {
    hash.update(`${name}\0${Buffer.byteLength(value)}\0`);
    hash.update(value);
  };
  for (const file of filesUnder(inputs.contextDir)) {
    field(`file:${file}`, readFileSync(path.join(inputs.contextDir, file)));
  }
  field("dockerfile", readFileSync(inputs.dockerfile));
  for (const [name, value] of Object.entries(inputs.buildArgs).sort(([a], [b]) => (a < b ? -1 : 1))) {
    field(`arg:${name}`, value);
  }
  field("platform", inputs.platform);
  return `sha256-${hash.digest("hex").slice(0, 32)}`;
}

/** Every file below `dir`, as sorted paths relative to it. */
function filesUnder(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    if (TRANSIENT.has(entry.name)) continue;
    const relative = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...filesUnder(dir, relative));
    else out.push(relative);
  }
  return out.sort();
}
