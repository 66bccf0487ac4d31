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
}

/**
 * One ECR repository per image (`forceDelete`, so destroy removes pushed images too) and the
 * image built from the repository's Dockerfile and pushed there by awsx.
 */
export class Images extends pulumi.ComponentResource {
  readonly repositories: Readonly<Record<ImageName, aws.ecr.Repository>>;
  readonly images: Readonly<Record<ImageName, awsx.ecr.Image>>;
  /** Digest-pinned URIs: a rebuilt image changes the URI and so rolls the tasks that use it. */
  readonly imageUris: Readonly<Record<ImageName, pulumi.Output<string>>>;

  constructor(name: string, args: ImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecssd:infra:Images", name, {}, opts);
    const repositories = {} as Record<ImageName, aws.ecr.Repository>;
    const images = {} as Record<ImageName, awsx.ecr.Image>;
    const imageUris = {} as Record<ImageName, pulumi.Output<string>>;
    for (const image of IMAGE_NAMES) {
      const { dockerfile } = IMAGE_CATALOG[image];
      repositories[image] = new aws.ecr.Repository(
        `${name}-${image}`,
        {
          forceDelete: true,
          imageScanningConfiguration: { scanOnPush: true },
          imageTagMutability: "MUTABLE",
        },
        { parent: this },
      );
      images[image] = new awsx.ecr.Image(
        `${name}-${image}`,
        {
          repositoryUrl: repositories[image].repositoryUrl,
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
      imageUris[image] = images[image].imageUri;
    }
    this.repositories = repositories;
    this.images = images;
    this.imageUris = imageUris;
    this.registerOutputs({ imageUris });
  }
}
