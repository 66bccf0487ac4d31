// Shared by the agent tests and benchmark: the local zone, the agent wired to it and to a Docker engine,
// containers labelled as ours (ecssd.test=agent) and removed by that label only, `dig` against the zone.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from "@aws-sdk/client-route-53";
import Docker from "dockerode";
import pino from "pino";
import { type AgentConfig, loadAgentConfig } from "../../agent/config";
import { type HostAgent, type HostAgentDeps, startHostAgent } from "../../agent/hostAgent";
import type { LocalZone } from "../../local/zone";
import { canonicalName, parseSetIdentifier } from "../../records";

const run = promisify(execFile);

// The SDK warns once per process about Node 20 support; the warning is not about our code.
process.removeAllListeners("warning");
process.on("warning", (w) => {
  if (w.name !== "NodeVersionSupportWarning") process.stderr.write(`${w.name}: ${w.message}\n`);
});

/** Every container the agent tests and benchmark create carries this label; cleanup removes only these. */
export const TEST_LABEL = "ecssd.test=agent";

/** A run label too, so two runs on one machine never remove each other's containers. */
export const RUN_ID = randomBytes(4).toString("hex");

export function route53For(zone: LocalZone): Route53Client {
  return new Route53Client({
    endpoint: zone.apiUrl,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
}

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
    ...extra,
  });
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
    ...deps,
  });
}

/** A record set as the tests compare them: `name|type|setIdentifier|value`. */
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

/** `dig +short` against the local zone's DNS server. */
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

export async function dig(zone: LocalZone, type: string, name: string): Promise<string[]> {
  const { stdout } = await run(
    "dig",
    [`@${zone.dns.host}`, "-p", String(zone.dns.port), "+short", "+tries=2", "+time=1", type, name],
    { timeout: 10_000 },
  );
  return stdout
    .split("\n")
    .map((l) => canonicalName(l.trim()))
    .filter(Boolean)
    .sort();
}

/** The ports DNS answers for service `s` (`_x._tcp`, relative to the zone), sorted. */
export async function srvPorts(zone: LocalZone, s: string): Promise<number[]> {
  return (await dig(zone, "SRV", `${s}.${zone.zoneName}`))
    .map((v) => Number(v.split(" ")[2]))
    .sort((a, b) => a - b);
}

/** Polls `check` until it returns true (or its assertion stops throwing), at most `timeoutMs`. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let i = 0; i < 100_000; i++) {
    try {
      const ok = await check();
      if (ok !== false) return;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`,
  );
}

/** The `docker` command line, optionally against another engine. */
export class DockerCli {
  constructor(readonly host?: string) {}

  async exec(args: string[], timeoutMs = 60_000): Promise<string> {
    const full = this.host ? ["--host", this.host, ...args] : args;
    const { stdout } = await run("docker", full, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return stdout.trim();
  }

  /** `docker run -d` with our labels; returns the full id. */
  async runContainer(image: string, opts: string[], command: string[]): Promise<string> {
    return this.exec([
      "run",
      "-d",
      "-l",
      TEST_LABEL,
      "-l",
      `ecssd.test.run=${RUN_ID}`,
      ...opts,
      image,
      ...command,
    ]);
  }

  async hostPort(id: string, containerPort: string): Promise<number> {
    const out = await this.exec(["port", id, containerPort]);
    return Number(out.split("\n")[0]?.split(":").pop());
  }

  async running(id: string): Promise<boolean> {
    return (await this.exec(["inspect", "-f", "{{.State.Running}}", id]).catch(() => "false")) === "true";
  }

  /** Removes the containers of this run (never anyone else's). */
  async removeOurs(): Promise<void> {
    const ids = (await this.exec(["ps", "-aq", "--filter", `label=ecssd.test.run=${RUN_ID}`]).catch(() => ""))
      .split("\n")
      .filter(Boolean);
    if (ids.length > 0) await this.exec(["rm", "-f", ...ids], 120_000).catch(() => {});
  }

  dockerode(): Docker {
    return this.host ? new Docker({ socketPath: this.host.replace(/^unix:\/\//, "") }) : new Docker();
  }
}

export async function baseImage(): Promise<string> {
  if (process.env.BASE_IMAGE) return process.env.BASE_IMAGE;
  const { stdout } = await run("bash", ["scripts/base-image.sh"], {
    cwd: `${__dirname}/../..`,
    timeout: 300_000,
  });
  return stdout.trim().split("\n").at(-1) ?? "";
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

/**
 * A container process whose `/health` answers by a mode set over HTTP (`GET /mode/ok|fail|hang` on any of
 * its ports): 200, 500, or never. Listens on every port in PORTS (default 8080); exits on SIGTERM.
 */
export const HEALTH_SERVER = [
  "node",
  "-e",
  [
    "const http=require('http');let mode=process.env.MODE||'ok';",
    "const h=(q,s)=>{if(q.url.startsWith('/mode/')){mode=q.url.slice(6);s.end(mode);return}",
    "if(q.url==='/health'){if(mode==='hang')return;s.statusCode=mode==='ok'?200:500;s.end(mode);return}s.end('hi')};",
    "for(const p of (process.env.PORTS||'8080').split(','))http.createServer(h).listen(Number(p));",
    "process.on('SIGTERM',()=>process.exit(0));",
  ].join(""),
];

/** Sets the health mode of a HEALTH_SERVER container through one of its published ports. */
export async function setHealth(port: number, mode: "ok" | "fail" | "hang"): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/mode/${mode}`, { signal: AbortSignal.timeout(5000) });
  if ((await res.text()) !== mode) throw new Error(`could not set health mode ${mode} on port ${port}`);
}
