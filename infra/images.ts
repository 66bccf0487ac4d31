import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";

import { DEFAULT_BASE_IMAGE, IMAGE_CATALOG, IMAGE_NAMES, type ImageName } from "../images/imageCatalog";

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

/**
 * One ECR repository per image (`forceDelete`, so destroy removes pushed images too) and the
 * image built from the repository's Dockerfile and pushed there by awsx.
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
    for (const image of args.names ?? IMAGE_NAMES) {
      const { dockerfile } = IMAGE_CATALOG[image];
      const repository = new aws.ecr.Repository(
        `${name}-${image}`,
        {
          forceDelete: true,
          imageScanningConfiguration: { scanOnPush: true },
          imageTagMutability: "MUTABLE",
        },
        { parent: this },
      );
      const built = new awsx.ecr.Image(
        `${name}-${image}`,
        {
          repositoryUrl: repository.repositoryUrl,
          // The context only resolves once `prepare` is done, so the build sees the fresh bundle.
          context: pulumi
            .output(args.prepare ? args.prepare(image).then(() => true) : true)
            .apply(() => args.context ?? "."),
          dockerfile,
          platform: args.platform ?? "linux/amd64",
          args: { BASE_IMAGE: args.baseImage ?? DEFAULT_BASE_IMAGE },
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
