// The default base image is one fact (images/imageCatalog.ts); the files that cannot import it must repeat
// it exactly, so that no build path still ships an end-of-life Node.js.
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_BASE_IMAGE, IMAGE_CATALOG, SHIPPED_NODE_MAJOR } from "../../images/imageCatalog";

const ROOT = path.join(__dirname, "..", "..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

describe("default base image", () => {
  it("is a Node.js image of the version we ship", () => {
    assert.match(DEFAULT_BASE_IMAGE, new RegExp(`^node:${SHIPPED_NODE_MAJOR}-`));
  });

  it("is what every Dockerfile, the base-image script and Pulumi.yaml default to", () => {
    for (const { dockerfile } of Object.values(IMAGE_CATALOG)) {
      assert.match(read(dockerfile), new RegExp(`^ARG BASE_IMAGE=${DEFAULT_BASE_IMAGE}$`, "m"), dockerfile);
    }
    assert.ok(read("scripts/base-image.sh").includes(`ECSSD_NORMAL_BASE_IMAGE:-${DEFAULT_BASE_IMAGE}}`));
    assert.match(read("Pulumi.yaml"), new RegExp(`default: ${DEFAULT_BASE_IMAGE}$`, "m"));
  });
});
