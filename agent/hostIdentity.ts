// Who this host is: the EC2 instance id and private IPv4 from IMDSv2, unless configuration says otherwise
// (the local stack and the tests always say otherwise, so the metadata service is never contacted there).

import { checkHostId } from "../records";

export interface HostIdentity {
  hostId: string;
  address: string;
}

const IMDS = "http://169.254.169.254";

export class HostIdentityError extends Error {
  override name = "HostIdentityError";
}

/** Configured values win; whatever is missing comes from IMDSv2 (PUT a token, then GET with it). */
export async function resolveHostIdentity(
  configured: { hostId?: string; address?: string },
  opts: { timeoutMs?: number; fetchImpl?: typeof fetch } = {},
): Promise<HostIdentity> {
  if (configured.hostId && configured.address)
    return { hostId: configured.hostId, address: configured.address };
  const doFetch = opts.fetchImpl ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 2000;
  const request = async (path: string, init: RequestInit): Promise<string> => {
    const res = await doFetch(`${IMDS}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new HostIdentityError(`instance metadata ${path} answered HTTP ${res.status}`);
    return (await res.text()).trim();
  };
  try {
    const token = await request("/latest/api/token", {
      method: "PUT",
      headers: { "X-aws-ec2-metadata-token-ttl-seconds": "300" },
    });
    const get = (path: string) => request(path, { headers: { "X-aws-ec2-metadata-token": token } });
    const hostId = configured.hostId ?? (await get("/latest/meta-data/instance-id"));
    const address = configured.address ?? (await get("/latest/meta-data/local-ipv4"));
    const bad = checkHostId(hostId);
    if (bad) throw new HostIdentityError(`instance metadata gave an unusable host id: ${bad.message}`);
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) {
      throw new HostIdentityError(`instance metadata gave "${address.slice(0, 40)}" as local-ipv4`);
    }
    return { hostId, address };
  } catch (err) {
    if (err instanceof HostIdentityError) throw err;
    throw new HostIdentityError(
      `cannot read the host identity from the EC2 instance metadata service (IMDSv2); off EC2, set ECSSD_HOST_ID and ECSSD_HOST_IP (${err instanceof Error ? err.message : String(err)})`,
    );
  }
}
