// Runs the one Route53 contract suite against moto's server and against our local zone.
import { CreateHostedZoneCommand, Route53Client } from "@aws-sdk/client-route-53";
import { startLocalZone } from "../../../local/zone";
import { motoCredentials, startMoto } from "../../support/moto";
import { route53ContractSuite } from "./route53ContractSuite";

const ZONE = "servicediscovery.internal";

/** A client as users build one: the real SDK, an endpoint override, any credentials, no retries. */
function clientFor(endpoint: string): Route53Client {
  return new Route53Client({ endpoint, region: "us-east-1", credentials: motoCredentials, maxAttempts: 1 });
}

route53ContractSuite({
  name: "moto",
  followsAwsDocs: false,
  servesDns: false,
  async start() {
    const moto = await startMoto();
    try {
      const client = clientFor(moto.endpoint);
      const made = await client.send(
        new CreateHostedZoneCommand({
          Name: ZONE,
          CallerReference: "route53-contract",
          HostedZoneConfig: { PrivateZone: true, Comment: "contract suite" },
          VPC: { VPCRegion: "us-east-1", VPCId: "vpc-0123456789abcdef0" },
        }),
      );
      const hostedZoneId = made.HostedZone!.Id!.replace(/^\/hostedzone\//, "");
      return {
        client,
        hostedZoneId,
        zoneName: ZONE,
        async close() {
          client.destroy();
          await moto.close();
        },
      };
    } catch (err) {
      await moto.close();
      throw err;
    }
  },
});

route53ContractSuite({
  name: "local zone",
  followsAwsDocs: true,
  servesDns: true,
  async start() {
    // The local zone creates its private hosted zone at start; the suite uses that one.
    const zone = await startLocalZone({ host: "127.0.0.1", apiPort: 0, dnsPort: 0, zoneName: ZONE });
    const client = clientFor(zone.apiUrl);
    return {
      client,
      hostedZoneId: zone.hostedZoneId.replace(/^\/hostedzone\//, ""),
      zoneName: zone.zoneName.replace(/\.$/, ""),
      dns: zone.dns,
      async close() {
        client.destroy();
        await zone.close();
      },
    };
  },
});
