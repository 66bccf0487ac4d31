// Shared by the agent tests: the agent wired to the local zone and a Docker engine, its log kept in memory,
// and a few things done behind its back. What the benchmarks share with them is in the test kit.
import { execFile } from "node:child_process";
import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  type Route53Client,
} from "@aws-sdk/client-route-53";
import pino from "pino";
import { type HostAgent, type HostAgentDeps, startHostAgent } from "../../agent/hostAgent";
import type { LocalZone } from "../../local/zone";
import { agentConfig } from "../kit/agentFixtures";
import { route53For } from "../kit/awsClients";
import { digShortCanonical } from "../kit/dig";
import { type DockerCli, RUN_ID, TEST_LABEL } from "../kit/docker";

/** Log lines kept in memory, parsed. */
export interface MemoryLog {
  lines: Record<string, unknown>[];
  logger: pino.Logger;
}

export function memoryLog(): MemoryLog {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: "debug" },
    {
      write(s: string) {
        lines.push(JSON.parse(s) as Record<string, unknown>);
        if (process.env.AGENT_TEST_LOG) process.stderr.write(s);
      },
    },
  );
  return { lines, logger };
}

export async function startAgent(
  zone: LocalZone,
  hostId: string,
  deps: Partial<HostAgentDeps> & { log: pino.Logger },
  extra: Record<string, string> = {},
): Promise<HostAgent> {
  return startHostAgent(agentConfig(zone, hostId, extra), {
    route53: route53For(zone),
    backoff: { baseMs: 50, capMs: 1000 },
    emf: { enabled: false },
    ...deps,
  });
}

/** Deletes the record set of `relativeName` as someone else would (the reconciler, say): behind the agent's back. */
export async function deleteBehindAgentsBack(
  zone: LocalZone,
  client: Route53Client,
  relativeName: string,
): Promise<void> {
  const listed = await client.send(
    new ListResourceRecordSetsCommand({
      HostedZoneId: zone.hostedZoneId,
      StartRecordName: `${relativeName}.${zone.zoneName}`,
    }),
  );
  const rs = listed.ResourceRecordSets?.find((r) => r.Name?.startsWith(relativeName));
  if (!rs) throw new Error(`no record set named ${relativeName} to delete`);
  await client.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zone.hostedZoneId,
      ChangeBatch: { Changes: [{ Action: "DELETE", ResourceRecordSet: rs }] },
    }),
  );
}

/** The ports DNS answers for service `s` (`_x._tcp`, relative to the zone), sorted. */
export async function srvPorts(zone: LocalZone, s: string): Promise<number[]> {
  return (await digShortCanonical(zone, "SRV", `${s}.${zone.zoneName}`))
    .map((v) => Number(v.split(" ")[2]))
    .sort((a, b) => a - b);
}

/**
 * An image whose HEALTHCHECK passes while /tmp/ok exists. `docker run --health-cmd` always goes through
 * /bin/sh, which the base image does not have, so the check is baked in its exec form.
 */
export async function healthImage(docker: DockerCli, base: string): Promise<string> {
  const tag = `ecssd/agent-test-health:${RUN_ID}`;
  const dockerfile = [
    `FROM ${base}`,
    `LABEL ${TEST_LABEL.replace("=", '="')}"`,
    `HEALTHCHECK --interval=1s --timeout=5s --retries=1 CMD ["node","-e","process.exit(require('fs').existsSync('/tmp/ok')?0:1)"]`,
  ].join("\n");
  await new Promise<void>((resolve, reject) => {
    const args = [...(docker.host ? ["--host", docker.host] : []), "build", "-q", "-t", tag, "-"];
    const child = execFile(
      "docker",
      args,
      { env: { ...process.env, DOCKER_BUILDKIT: "0" }, timeout: 120_000 },
      (err) => (err ? reject(err) : resolve()),
    );
    child.stdin?.end(dockerfile);
  });
  return tag;
}

/** A container process that runs until stopped and exits promptly on SIGTERM (node as PID 1 ignores it). */
export const SERVE_FOREVER = [
  "node",
  "-e",
  "process.on('SIGTERM',()=>process.exit(0));setInterval(()=>{},1000)",
];
