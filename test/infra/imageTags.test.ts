import { strict as assert } from "node:assert";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { contentTag, type ImageInputs } from "../../infra/imageTags";

describe("contentTag: the tag an image is pushed under to an immutable repository", () => {
  let dir: string;
  let inputs: ImageInputs;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "ecssd-tag-"));
    mkdirSync(path.join(dir, "bundles", "time"), { recursive: true });
    writeFileSync(path.join(dir, "bundles", "time", "main.js"), "console.log(1)");
    writeFileSync(path.join(dir, "Dockerfile"), "FROM node\n");
    inputs = {
      contextDir: path.join(dir, "bundles"),
      dockerfile: path.join(dir, "Dockerfile"),
      buildArgs: { BASE_IMAGE: "node:24-bookworm-slim" },
      platform: "linux/amd64",
    };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("is the same for the same content, and a valid ECR tag", () => {
    const tag = contentTag(inputs);
    assert.equal(contentTag(inputs), tag);
    assert.match(tag, /^sha256-[0-9a-f]{32}$/);
  });

  it("changes when a bundle file, the Dockerfile, a build argument or the platform changes", () => {
    const before = contentTag(inputs);
    const changed: string[] = [];
    writeFileSync(path.join(dir, "bundles", "time", "main.js"), "console.log(2)");
    changed.push(contentTag(inputs));
    writeFileSync(path.join(dir, "bundles", "time", "extra.json"), "{}");
    changed.push(contentTag(inputs));
    writeFileSync(path.join(dir, "Dockerfile"), "FROM node:24\n");
    changed.push(contentTag(inputs));
    changed.push(contentTag({ ...inputs, buildArgs: { BASE_IMAGE: "node:24-alpine" } }));
    changed.push(contentTag({ ...inputs, platform: "linux/arm64" }));
    assert.equal(new Set([before, ...changed]).size, 1 + changed.length);
  });

  it("tells a file's name from its content", () => {
    const before = contentTag(inputs);
    rmSync(path.join(dir, "bundles", "time", "main.js"));
    writeFileSync(path.join(dir, "bundles", "time", "main.jsconsole.log(1)"), "");
    assert.notEqual(contentTag(inputs), before);
  });

  it("ignores the image builder's lock, which exists only while a build runs", () => {
    const before = contentTag(inputs);
    mkdirSync(path.join(dir, "bundles", ".build.lock"));
    writeFileSync(path.join(dir, "bundles", ".build.lock", "owner"), "1234");
    assert.equal(contentTag(inputs), before);
  });
});
