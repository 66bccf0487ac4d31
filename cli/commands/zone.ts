import type { Command } from "commander";

export function registerZoneCommand(program: Command): void {
  program
    .command("zone")
    .description("run the local zone: a Route53-compatible API and an authoritative DNS server on loopback")
    .action(() => {
      throw new Error("`ecssd zone` is not implemented yet");
    });
}
