import { strict as assert } from "node:assert";
import { type Change, Route53Client } from "@aws-sdk/client-route-53";
import { createResolver, NotFoundError, type Resolver } from "@ecssd/resolver";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { changeZone } from "../kit/zoneSeeding";

describe("resolver against the local zone (Route53 API + its DNS)", () => {
  let zone: LocalZone;
  let route53: Route53Client;
  let resolver: Resolver;

  before(async () => {
    zone = await startLocalZone({ soaMinimumTtl: 2 });
    route53 = new Route53Client({
      endpoint: zone.apiUrl,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    resolver = createResolver({
      servers: [`${zone.dns.host}:${zone.dns.port}`],
      domain: zone.zoneName,
      timeoutMs: 1000,
    });
  });
  after(async () => {
    resolver.close();
    route53.destroy();
    await zone.close();
  });

  const host = (n: number): string => `i-000${n}.${zone.zoneName}`;

  it("resolves SRV multivalue records created through the Route53 API, with host addresses", async () => {
    const service = `_calc._tcp.${zone.zoneName}`;
    await changeZone(route53, zone.hostedZoneId, [
      ...[1, 2].map(
        (n): Change => ({
          Action: "UPSERT",
          ResourceRecordSet: {
            Name: host(n),
            Type: "A",
            TTL: 60,
            ResourceRecords: [{ Value: `127.0.0.${n}` }],
          },
        }),
      ),
      ...[1, 2].map(
        (n): Change => ({
          Action: "UPSERT",
          ResourceRecordSet: {
            Name: service,
            Type: "SRV",
            TTL: 10,
            SetIdentifier: `${host(n)}-container-${n}`,
            MultiValueAnswer: true,
            ResourceRecords: [{ Value: `1 ${n} ${32000 + n} ${host(n)}` }],
          },
        }),
      ),
    ]);
    const endpoints = await resolver.resolve("calc");
    assert.deepEqual(
      endpoints
        .map(({ host, address, port, priority, weight, ttl }) => ({
          host,
          address,
          port,
          priority,
          weight,
          ttl,
        }))
        .sort((a, b) => a.port - b.port),
      [
        { host: host(1), address: "127.0.0.1", port: 32001, priority: 1, weight: 1, ttl: 10 },
        { host: host(2), address: "127.0.0.2", port: 32002, priority: 1, weight: 2, ttl: 10 },
      ],
    );
    const picked = await resolver.pick("_calc._tcp");
    assert.ok([32001, 32002].includes(picked.port));
  });

  it("sees a removed service as not found once the negative TTL allows", async () => {
    const service = `_gone._tcp.${zone.zoneName}`;
    const set = {
      Name: service,
      Type: "SRV" as const,
      TTL: 1,
      ResourceRecords: [{ Value: `1 1 8080 ${host(1)}` }],
    };
    await changeZone(route53, zone.hostedZoneId, [{ Action: "UPSERT", ResourceRecordSet: set }]);
    assert.equal((await resolver.pick("gone")).port, 8080);
    await changeZone(route53, zone.hostedZoneId, [{ Action: "DELETE", ResourceRecordSet: set }]);
    await new Promise((r) => setTimeout(r, 1100));
    await assert.rejects(resolver.pick("gone"), NotFoundError);
  });
});
