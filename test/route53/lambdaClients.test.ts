// The clients the Lambdas build from their settings: one rule for the endpoint, the placeholder credentials
// and the SDK's retries, for Route53 and ECS alike; ECS needs a region, Route53 signs for us-east-1.
import assert from "node:assert/strict";
import { ecsClient } from "../../route53/ecsClient";
import { lambdaEcsClient, lambdaRoute53Client } from "../../route53/lambdaClients";

describe("the Lambdas' AWS clients", () => {
  it("sign with placeholders for a local endpoint when the environment has no AWS credentials", async () => {
    const env = {};
    const route53 = lambdaRoute53Client({ route53Endpoint: "http://127.0.0.1:1" }, env);
    const ecs = lambdaEcsClient({ ecsEndpoint: "http://127.0.0.1:2" }, env);
    try {
      for (const client of [route53, ecs!]) {
        const credentials = await (client.config.credentials as () => Promise<{ accessKeyId: string }>)();
        assert.equal(credentials.accessKeyId, "local");
        assert.equal(await client.config.maxAttempts(), 1);
      }
      assert.equal(await route53.config.region(), "us-east-1");
      assert.equal(await ecs!.config.region(), "us-east-1", "a local ECS endpoint without a region");
    } finally {
      route53.destroy();
      ecs?.destroy();
    }
  });

  it("take the region from AWS_REGION, then AWS_DEFAULT_REGION; ECS has none to fall back on", async () => {
    const ecs = lambdaEcsClient({}, { AWS_DEFAULT_REGION: "eu-west-1" });
    assert.equal(await ecs!.config.region(), "eu-west-1");
    ecs?.destroy();
    const route53 = lambdaRoute53Client({}, { AWS_REGION: "eu-central-1", AWS_DEFAULT_REGION: "eu-west-1" });
    assert.equal(await route53.config.region(), "eu-central-1");
    route53.destroy();
    assert.equal(lambdaEcsClient({}, {}), undefined);
  });

  it("keep the environment's credentials when it has them", async () => {
    const ecs = ecsClient({
      region: "us-east-1",
      endpoint: "http://127.0.0.1:2",
      env: { AWS_ACCESS_KEY_ID: "AKIAEXAMPLE" },
    });
    assert.notEqual(
      await (ecs.config.credentials as () => Promise<{ accessKeyId: string }>)().then(
        (c) => c.accessKeyId,
        () => "none",
      ),
      "local",
    );
    ecs.destroy();
  });
});
