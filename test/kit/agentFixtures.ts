// The agent as the agent tests and benchmarks run it against the local zone: its configuration, and the
// zone's record sets read back the way they compare them.
import { ListResourceRecordSetsCommand, type Route53Client } from "@aws-sdk/client-route-53";
import { type AgentConfig, loadAgentConfig } from "../../agent/config";
import type { ContainerDescription } from "../../agent/containerSource";
import type { LocalZone } from "../../local/zone";
import { canonicalName, parseSetIdentifier } from "../../records";

/**
 * The agent's configuration for `hostId` against the local zone: a short flush window, no AZ (nothing asked of
 * metadata endpoints, which are not on loopback), `extra` on top.
 */
export function agentConfig(
  zone: LocalZone,
  hostId: string,
  extra: Record<string, string> = {},
): AgentConfig {
  return loadAgentConfig({
    ECSSD_ZONE_NAME: zone.zoneName,
    ECSSD_ROUTE53_ENDPOINT: zone.apiUrl,
    ECSSD_HOST_ID: hostId,
    ECSSD_HOST_IP: "127.0.0.1",
    ECSSD_FLUSH_MS: "50",
    ECSSD_RESYNC_SECONDS: "30",
    ECSSD_AZ_ID: "off",
    ...extra,
  });
}

/** Our record sets in the zone as the tests compare them: `name|type|setIdentifier|value`, sorted. */
export async function zoneRecords(zone: LocalZone, client: Route53Client): Promise<string[]> {
  const out: string[] = [];
  let next: Record<string, string> = {};
  for (let page = 0; page < 1000; page++) {
    const res = await client.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zone.hostedZoneId, MaxItems: 300, ...next }),
    );
    for (const rs of res.ResourceRecordSets ?? []) {
      if (!parseSetIdentifier(rs.SetIdentifier)) continue;
      const values = (rs.ResourceRecords ?? []).map((r) => canonicalName(r.Value ?? "")).join(",");
      out.push(`${canonicalName(rs.Name ?? "")}|${rs.Type}|${rs.SetIdentifier}|${values}`);
    }
    if (!res.IsTruncated) break;
    next = {
      StartRecordName: res.NextRecordName ?? "",
      ...(res.NextRecordType ? { StartRecordType: res.NextRecordType } : {}),
      ...(res.NextRecordIdentifier ? { StartRecordIdentifier: res.NextRecordIdentifier } : {}),
    };
  }
  return out.sort();
}

/** A running bridge container offering `_calc._tcp` on 8080, published on `hostPort`, as `docker inspect` says. */
export function calcContainer(id: string, hostPort: number): ContainerDescription {
  return {
    Id: id,
    Name: `/calc-${id.slice(0, 4)}`,
    Config: { Env: ["SERVICE_8080_NAME=_calc._tcp"], Labels: {} },
    State: { Running: true, Paused: false, Restarting: false },
    HostConfig: { NetworkMode: "bridge" },
    NetworkSettings: { Ports: { "8080/tcp": [{ HostIp: "0.0.0.0", HostPort: String(hostPort) }] } },
  };
}
