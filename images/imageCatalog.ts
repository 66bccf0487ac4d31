// The images this system runs: one entry each, read by the image builder (local stack, tests, benches) and
// by the Pulumi program (ECR repositories and awsx images). All build with the repository root as context.

/**
 * The base image every image builds FROM by default: Node.js 24, the active LTS (Node.js 20 reached its end of
 * life on 2026-04-30). The Dockerfiles' `ARG BASE_IMAGE`, scripts/base-image.sh and Pulumi.yaml repeat it
 * because they cannot import it; a test holds them equal to this.
 */
export const DEFAULT_BASE_IMAGE = "node:24-bookworm-slim";

/** The Node.js major version we ship on: image bases, Lambda runtimes and bundle targets follow it. */
export const SHIPPED_NODE_MAJOR = 24;

/** Each image's entry point and Dockerfile, relative to the repository root. */
export const IMAGE_CATALOG = {
  agent: { entry: "agent/main.ts", dockerfile: "agent/Dockerfile" },
  coalescer: { entry: "coalescer/main.ts", dockerfile: "coalescer/Dockerfile" },
  time: { entry: "examples/time/main.ts", dockerfile: "examples/time/Dockerfile" },
  calc: { entry: "examples/calc/main.ts", dockerfile: "examples/calc/Dockerfile" },
  portal: { entry: "examples/portal/main.ts", dockerfile: "examples/portal/Dockerfile" },
} as const;

/** One of the images in {@link IMAGE_CATALOG}. */
export type ImageName = keyof typeof IMAGE_CATALOG;

/** Every image, in catalog order. */
export const IMAGE_NAMES = Object.keys(IMAGE_CATALOG) as ImageName[];

/** True when `name` is an image of the catalog. */
export function isImageName(name: string): name is ImageName {
  return Object.hasOwn(IMAGE_CATALOG, name);
}
