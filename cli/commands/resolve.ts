// `ecssd resolve <name>`: looks a service up the way a consumer does and prints the endpoints as JSON.
import { createResolver } from "@ecssd/resolver";
import type { Command } from "commander";

interface ResolveOptions {
  server?: string[];
  domain?: string;
  pick?: boolean;
  timeout?: string;
}

export function registerResolveCommand(program: Command): void {
  program
    .command("resolve")
    .description("look up a service's SRV records as a consumer would and print the endpoints as JSON")
    .argument("<name>", 'service: "calc", "_calc._tcp" or a full name such as _calc._tcp.example.internal.')
    .option(
      "-s, --server <host:port>",
      "nameserver to ask (repeatable; default: /etc/resolv.conf)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option("-d, --domain <zone>", "zone short names expand into", "servicediscovery.internal")
    .option("-p, --pick", "print one endpoint chosen by RFC 2782 weights instead of all of them")
    .option("-t, --timeout <ms>", "per-server timeout in milliseconds", "1000")
    .action(async (name: string, options: ResolveOptions) => {
      const timeoutMs = Number(options.timeout);
      const resolver = createResolver({ servers: options.server, domain: options.domain, timeoutMs });
      try {
        const result = options.pick ? await resolver.pick(name) : await resolver.resolve(name);
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } finally {
        resolver.close();
      }
    });
}
