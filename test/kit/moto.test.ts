// The moto fixture itself: other suites (Route53 contract, reconciler with ECS) rely on it.
import assert from "node:assert/strict";
import {
  CreateHostedZoneCommand,
  ListHostedZonesByNameCommand,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { type MotoServer, motoCredentials, startMoto } from "./moto";

describe("moto server fixture", function () {
  this.timeout(60_000);
  let moto: MotoServer | undefined;
  after(async () => {
    await moto?.close();
  });

  it("starts on a loopback ephemeral port, forgets everything on reset, and frees the port on close", async () => {
    moto = await startMoto();
    assert.match(moto.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    const r53 = new Route53Client({
      endpoint: moto.endpoint,
      region: "us-east-1",
      credentials: motoCredentials,
    });
    await r53.send(new CreateHostedZoneCommand({ Name: "fixture.internal", CallerReference: "fixture" }));
    assert.equal((await r53.send(new ListHostedZonesByNameCommand({}))).HostedZones?.length, 1);
    await moto.reset();
    assert.equal((await r53.send(new ListHostedZonesByNameCommand({}))).HostedZones?.length, 0);
    r53.destroy();
    const endpoint = moto.endpoint;
    await moto.close();
    await moto.close(); // closing twice is harmless
    moto = undefined;
    await assert.rejects(fetch(`${endpoint}/moto-api/data.json`), "nothing answers once closed");
  });
});
