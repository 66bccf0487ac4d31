// The images this system runs: one entry each, read by the image builder (local stack, tests, benches) and
// by the Pulumi program (ECR repositories and awsx images). All build with the repository root as context.

/** Each image's entry point and Dockerfile, relative to the repository root. */
export const IMAGE_CATALOG = {
  agent: { entry: "agent/main.ts", dockerfile: "agent/Dockerfile" },
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
