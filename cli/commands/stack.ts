// `ecssd stack up|down|status`: the whole system on this machine (`npm start` runs `stack up`).
import { join } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { STACK_DEFAULTS, stackUp } from "../../local/stack/stack";
import { NO_COALESCER } from "../../local/stack/stackCoalescer";
import { type StackStatus, stackDown, stackStatus } from "../../local/stack/stackControl";
import { quotaWarningText } from "../../route53/recordSetQuota";

const STATE_DIR = join(__dirname, "..", "..", ".local-stack");

function port(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
    throw new InvalidArgumentError("must be a port number from 1 to 65535");
  }
  return Number(value);
}

function countFrom(min: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > 10) {
      throw new InvalidArgumentError(`must be an integer from ${min} to 10`);
    }
    return Number(value);
  };
}
const count = countFrom(1);

/** A name for the stack's containers: `ecssd-<name>-time-1`, ... */
function stackName(value: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(value)) {
    throw new InvalidArgumentError(
      "must be 1 to 31 lowercase letters, digits or dashes, starting with one of the first two",
    );
  }
  return value;
}

/** Three octets of a loopback address and a dot: the awsvpc tasks take this prefix and 2, 3, ... */
function loopbackPrefix(value: string): string {
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.$/.exec(value);
  if (!m || Number(m[1]) > 255 || Number(m[2]) > 255) {
    throw new InvalidArgumentError('must be three octets of a loopback address and a dot, e.g. "127.0.9."');
  }
  return value;
}

export function registerStackCommand(program: Command): void {
  const stack = program.command("stack").description("run the whole system on this machine (up|down|status)");
  const say = (line: string) => process.stdout.write(`${line}\n`);

  stack
    .command("up", { isDefault: true })
    .description("start the local zone, agent, reconciler and example containers; Ctrl-C removes them")
    .option("--api-port <port>", "Route53 API port", port, STACK_DEFAULTS.apiPort)
    .option("--dns-port <port>", "DNS port (UDP and TCP)", port, STACK_DEFAULTS.dnsPort)
    .option("--portal-port <port>", "portal port", port, STACK_DEFAULTS.portalPort)
    .option("--zone <name>", "zone name", STACK_DEFAULTS.zoneName)
    .option("--time <n>", "time instances", count, STACK_DEFAULTS.timeInstances)
    .option("--calc <n>", "calc instances", count, STACK_DEFAULTS.calcInstances)
    .option(
      "--awsvpc-time <n>",
      "time instances run as awsvpc tasks (its Fargate variant) on 127.0.0.2 upwards, registered by the registrar (0: none)",
      countFrom(0),
      STACK_DEFAULTS.awsvpcTimeInstances,
    )
    .option(
      "--awsvpc-prefix <a.b.c.>",
      "the awsvpc tasks' addresses: this prefix and 2, 3, ...",
      loopbackPrefix,
      "127.0.0.",
    )
    .option(
      "--stack-name <name>",
      "prefixes the containers' names, so a second stack can run beside the first",
      stackName,
      "local",
    )
    .option(
      "--no-coalescer",
      "no coalescer (the zone's one writer, which the Pulumi program runs by default): the agent and the registrar write Route53 themselves",
    )
    .action(
      async (o: {
        apiPort: number;
        dnsPort: number;
        portalPort: number;
        zone: string;
        time: number;
        calc: number;
        awsvpcTime: number;
        awsvpcPrefix: string;
        stackName: string;
        coalescer: boolean;
      }) => {
        const running = await stackUp({
          apiPort: o.apiPort,
          dnsPort: o.dnsPort,
          portalPort: o.portalPort,
          zoneName: o.zone,
          timeInstances: o.time,
          calcInstances: o.calc,
          awsvpcTimeInstances: o.awsvpcTime,
          awsvpcAddressPrefix: o.awsvpcPrefix,
          stackName: o.stackName,
          coalescer: o.coalescer,
          reconcileSeconds: STACK_DEFAULTS.reconcileSeconds,
          username: process.env.ECSSD_STACK_USERNAME || "admin",
          password: process.env.ECSSD_STACK_PASSWORD || "password",
          stateDir: STATE_DIR,
          say,
        });
        say(running.banner);
        await new Promise<void>((resolve) => {
          const onSignal = () => {
            say("\nstopping: removing containers, agent, reconciler, coalescer and zone");
            void running.stop().then(resolve);
          };
          process.once("SIGINT", onSignal);
          process.once("SIGTERM", onSignal);
        });
        say("the local stack is down");
      },
    );

  stack
    .command("down")
    .description("stop a running local stack and remove everything it started")
    .action(async () => stackDown(STATE_DIR, say));

  stack
    .command("status")
    .description("list services and instances from the zone, and the coalescer's state")
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }) => {
      const status = await stackStatus(STATE_DIR);
      if (o.json) {
        say(JSON.stringify(status, null, 2));
        return;
      }
      for (const line of stackStatusLines(status)) say(line);
    });
}

/** What `stack status` prints for people (`--json` prints the status itself). */
export function stackStatusLines(status: StackStatus): string[] {
  if (!status.running) return ["no local stack is running (start one with `npm start`)"];
  const lines = [`portal ${status.portalUrl}   DNS ${status.dns}`];
  if (status.zone) {
    const { name, id, recordSets } = status.zone;
    lines.push(`zone ${name} (${id}): ${recordSets.used} of ${recordSets.limit} record sets`);
    if (recordSets.used >= recordSets.limit) lines.push(`  ${quotaWarningText({ name, id }, recordSets)}`);
  }
  if (status.coalescer !== undefined) lines.push(coalescerLine(status.coalescer));
  for (const s of status.services) {
    lines.push(`${s.name}  (${s.instances.length} instance${s.instances.length === 1 ? "" : "s"})`);
    for (const i of s.instances)
      lines.push(
        `  ${i.target}:${i.port}  ${i.container ? `container ${i.container}` : `task ${i.task ?? "?"}`}  ttl ${i.ttl}  by ${i.owner ?? "?"}`,
      );
    for (const h of s.outOfDns) lines.push(`  out of DNS: container ${h.container ?? "?"}  ${h.why}`);
  }
  for (const h of status.hosts) {
    lines.push(`${h.owner === "registrar" ? "awsvpc task" : "host"} ${h.name} → ${h.address}`);
  }
  return lines;
}

function coalescerLine(coalescer: StackStatus["coalescer"]): string {
  if (!coalescer) return `coalescer: ${NO_COALESCER}`;
  const { url, status, unreachable } = coalescer;
  if (!status) return `coalescer ${url}: did not answer (${unreachable ?? "no status"})`;
  const requests = Object.entries(status.requests);
  const total = requests.reduce((n, [, count]) => n + count, 0);
  const byAction = requests.map(([action, count]) => `${action} ${count}`).join(", ");
  const limit = status.recordSetLimit === undefined ? "" : ` of ${status.recordSetLimit}`;
  return [
    `coalescer ${url}: ${status.queued} queued (${status.queuedChanges} changes)`,
    `${total} requests${byAction ? ` (${byAction})` : ""}`,
    `${status.throttled} throttled`,
    `${status.recordSets}${limit} record sets`,
  ].join(", ");
}
