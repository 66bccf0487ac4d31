import path from "node:path";
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";

import { DEFAULT_BASE_IMAGE, IMAGE_CATALOG, IMAGE_NAMES, type ImageName } from "../images/imageCatalog";
import { contentTag } from "./imageTags";

export type { ImageName } from "../images/imageCatalog";

/** Arguments of {@link Images}. */
export interface ImagesArgs {
  /** Docker platform to build for, matching the instances. Default: `linux/amd64`. */
  readonly platform?: pulumi.Input<string>;
  /** Passed as the `BASE_IMAGE` build argument. Default: {@link DEFAULT_BASE_IMAGE} (Node.js 24). */
  readonly baseImage?: pulumi.Input<string>;
  /** Build context, relative to the program's directory. Default: `.` (the repository root). */
  readonly context?: string;
  /**
   * Runs before an image is built, e.g. to bundle the service into the context (the Dockerfiles
   * copy a prepared bundle). The build waits for it. Default: none (the context is used as it is).
   */
  readonly prepare?: (image: ImageName) => Promise<unknown>;
  /** The images to build. Default: every image of the catalog. */
  readonly names?: readonly ImageName[];
}

/** The part of the build context the root .dockerignore admits: the bundles the Dockerfiles copy. */
export const BUNDLES_DIR = "dist/images";

/**
 * What each repository keeps: untagged images (layers of superseded pushes) for a week, and the last 20 tagged
 * images, enough to roll back several deployments (tasks pin images by digest).
 */
export const IMAGE_LIFECYCLE_POLICY = {
  rules: [
    {
      rulePriority: 1,
      description: "expire untagged images 7 days after their push",
      selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 },
      action: { type: "expire" },
    },
    {
      rulePriority: 2,
      description: "keep the last 20 tagged images",
      selection: {
        tagStatus: "tagged",
        tagPatternList: ["*"],
        countType: "imageCountMoreThan",
        countNumber: 20,
      },
      action: { type: "expire" },
    },
  ],
} as const;

/**
 * One ECR repository per image (`forceDelete`, so destroy removes pushed images too; tags immutable, with a
 * lifecycle policy) and the image built from the repository's Dockerfile and pushed there by awsx under a tag
 * that is a hash of its content.
 */
export class Images extends pulumi.ComponentResource {
  readonly repositories: Readonly<Partial<Record<ImageName, aws.ecr.Repository>>>;
  readonly images: Readonly<Partial<Record<ImageName, awsx.ecr.Image>>>;
  /** Digest-pinned URIs of the images built: a rebuilt image changes the URI and so rolls the tasks that use it. */
  readonly imageUris: Readonly<Partial<Record<ImageName, pulumi.Output<string>>>>;

  constructor(name: string, args: ImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecssd:infra:Images", name, {}, opts);
    const repositories: Partial<Record<ImageName, aws.ecr.Repository>> = {};
    const images: Partial<Record<ImageName, awsx.ecr.Image>> = {};
    const imageUris: Partial<Record<ImageName, pulumi.Output<string>>> = {};
    const names = args.names ?? IMAGE_NAMES;
    const context = args.context ?? ".";
    // Every bundle is in the context of every image (one .dockerignore), so each build and each tag waits
    // for all of them: a tag hashed while another bundle was still being written would not name the content.
    const prepare = args.prepare;
    const prepared = pulumi.output(
      prepare ? Promise.all(names.map((image) => prepare(image))).then(() => true) : true,
    );
    for (const image of names) {
      const { dockerfile } = IMAGE_CATALOG[image];
      const repository = new aws.ecr.Repository(
        `${name}-${image}`,
        {
          forceDelete: true,
          imageScanningConfiguration: { scanOnPush: true },
          // A tag names one image for good: what a task definition or a person pulled by tag stays that image.
          imageTagMutability: "IMMUTABLE",
        },
        { parent: this },
      );
      new aws.ecr.LifecyclePolicy(
        `${name}-${image}-lifecycle`,
        { repository: repository.name, policy: JSON.stringify(IMAGE_LIFECYCLE_POLICY) },
        { parent: this },
      );
      const platform = args.platform ?? "linux/amd64";
      const buildArgs = { BASE_IMAGE: args.baseImage ?? DEFAULT_BASE_IMAGE };
      const built = new awsx.ecr.Image(
        `${name}-${image}`,
        {
          repositoryUrl: repository.repositoryUrl,
          // The context only resolves once the bundles are made, so the build sees them fresh.
          context: prepared.apply(() => context),
          dockerfile,
          platform,
          args: buildArgs,
          // Without a tag awsx would pick one; an immutable repository needs one that changes with the content.
          imageTag: pulumi.all([prepared, platform, buildArgs.BASE_IMAGE]).apply(([, p, base]) =>
            contentTag({
              contextDir: path.join(context, BUNDLES_DIR),
              dockerfile: path.join(context, dockerfile),
              buildArgs: { BASE_IMAGE: base },
              platform: p,
            }),
          ),
        },
        { parent: this },
      );
      repositories[image] = repository;
      images[image] = built;
      imageUris[image] = built.imageUri;
    }
    this.repositories = repositories;
    this.images = images;
    this.imageUris = imageUris;
    this.registerOutputs({ imageUris });
  }
}
