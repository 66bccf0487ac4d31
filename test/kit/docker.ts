// The machine's Docker engine as the agent tests and benchmarks use it: containers labelled as ours
// (ecssd.test=agent, plus this run's id) and removed by that label only, the project's base image, and a
// container process whose health is set from outside.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import Docker from "dockerode";

const run = promisify(execFile);

/** Every container the agent tests and benchmark create carries this label; cleanup removes only these. */
export const TEST_LABEL = "ecssd.test=agent";

/** A run label too, so two runs on one machine never remove each other's containers. */
export const RUN_ID = randomBytes(4).toString("hex");

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

/** The project's base image (scripts/base-image.sh builds it offline when it is missing), or BASE_IMAGE. */
/** The project's base image, asked for once per process (images/imageBuilder.ts). */
export { baseImage } from "../../images/imageBuilder";

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
