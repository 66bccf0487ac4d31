import { bundleService } from "../images/imageBuilder";
import type { ImageName } from "../images/imageCatalog";

/**
 * Makes the bundle an image's Dockerfile copies (dist/images/<image>/), with the same code the local
 * stack uses, so what `pulumi up` ships is what the local stack runs.
 */
export function bundleImage(image: ImageName): Promise<unknown> {
  return bundleService(image);
}
